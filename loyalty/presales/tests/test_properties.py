"""Property: any sequence of pledges (partly with points), payments at the counter,
redemptions in parts, opening, closing and cancelling keeps every ledger transaction balanced
per unit, no supporter below zero, and each supporter's presale value equal to what they paid
in less what they redeemed."""

import datetime

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from loyalty import services
from loyalty.exceptions import LedgerRefused
from loyalty.models import Account, Campaign, Entry, LedgerTransaction, Pledge
from loyalty.presales import services as presales
from marketplace.money import cents_of
from marketplace.tests.factories import UserFactory

from .factories import campaign, eur, give_points, token

pytestmark = pytest.mark.django_db

pledge = st.tuples(
    st.just("pledge"),
    st.integers(0, 2),
    st.integers(1000, 6000),
    st.integers(0, 100),
    st.booleans() | st.just(True),  # mostly paid at the counter right away
)
redeem = st.tuples(st.just("redeem"), st.integers(0, 2), st.integers(-100, 3000))
later = st.one_of(
    redeem,
    redeem,
    pledge,
    st.tuples(st.just("confirm"), st.integers(0, 9)),
    st.tuples(st.just("open")),
    st.tuples(st.just("cancel")),
)
# Pledges first, then what happens at or before the deadline, then anything.
steps = st.tuples(
    st.lists(pledge, min_size=1, max_size=8),
    st.sampled_from(["open", "close_and_open", "close_and_open", "close", "cancel", "nothing"]),
    st.lists(later, max_size=15),
).map(
    lambda parts: [
        *parts[0],
        *{
            "open": [("open",)],
            "close": [("close",)],
            "close_and_open": [("close",), ("open",)],
            "cancel": [("cancel",)],
            "nothing": [],
        }[parts[1]],
        *parts[2],
    ]
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=steps,
    target=st.integers(1000, 6000),
    keep=st.booleans(),
    points=st.lists(st.integers(0, 3000), min_size=3, max_size=3),
)
def test_any_presale_sequence_keeps_the_books(steps, target, keep, points):
    oven = campaign(
        target=f"{target / 100:.2f}",
        if_missed=Campaign.IfMissed.KEEP if keep else Campaign.IfMissed.REFUND,
    )
    users = [UserFactory() for _ in range(3)]
    for user, held in zip(users, points, strict=True):
        if held:
            give_points(user, held)
    redeemed = {user.pk: 0 for user in users}
    pledges = []
    for step in steps:
        try:
            if step[0] == "pledge":
                _, who, cents, share, pay = step
                pledges.append(
                    presales.pledge_create(
                        campaign=oven,
                        supporter=users[who],
                        amount=eur(f"{cents / 100:.2f}"),
                        points=cents * share // 100,
                        payment_method="at_shop",
                        token=token(),
                    )
                )
                if pay and pledges[-1].status == Pledge.Status.AWAITING_PAYMENT:
                    presales.pledge_confirm_paid_at_shop(
                        shop=oven.shop, pledge_id=pledges[-1].pk, actor=None
                    )
            elif step[0] == "confirm" and step[1] < len(pledges):
                presales.pledge_confirm_paid_at_shop(
                    shop=oven.shop, pledge_id=pledges[step[1]].pk, actor=None
                )
            elif step[0] == "redeem":
                _, who, cents = step
                presales.presale_redeem(
                    shop=oven.shop,
                    user=users[who],
                    campaign_id=oven.pk,
                    amount_cents=cents,
                    key=token(),
                    actor=None,
                )
                redeemed[users[who].pk] += cents
                event("redeemed a part")
            elif step[0] == "open":
                presales.campaign_open_redemption(campaign=oven)
            elif step[0] == "close":
                presales.campaign_close(
                    campaign=oven, now=oven.deadline + datetime.timedelta(seconds=1)
                )
            elif step[0] == "cancel":
                presales.campaign_cancel(campaign=oven, actor=None)
        except LedgerRefused:
            pass  # refused with a message; the invariants below say nothing was written

    # Every transaction balances within each unit (points, presale value).
    for record in LedgerTransaction.objects.filter(shop=oven.shop).prefetch_related(
        "entries__account"
    ):
        by_unit = {True: 0, False: 0}
        for entry in record.entries.all():
            by_unit[entry.account.kind in Account.POINTS_KINDS] += entry.amount
        assert by_unit == {True: 0, False: 0}
    assert not Account.objects.filter(kind__in=Account.SUPPORTER_KINDS, balance__lt=0).exists()
    oven.refresh_from_db()
    event(f"ended as {oven.status}")
    paid = Pledge.objects.filter(campaign=oven, status=Pledge.Status.PAID)
    for user, held in zip(users, points, strict=True):
        mine = paid.filter(supporter=user)
        value = sum(cents_of(p.amount) for p in mine)
        assert services.presale_account_for_supporter(user, oven).balance == (
            value - redeemed[user.pk]
        )
        # Points leave the wallet when a pledge is made and come back if it is never paid.
        holding_points = Pledge.objects.filter(
            campaign=oven,
            supporter=user,
            status__in=[Pledge.Status.PAID, Pledge.Status.AWAITING_PAYMENT],
        )
        assert services.account_for_supporter(user).balance == held - sum(
            p.points_used for p in holding_points
        )
    holdings = sum(
        Account.objects.filter(kind="supporter_presale", campaign=oven).values_list(
            "balance", flat=True
        )
    )
    assert services.presale_liability(oven).balance == -holdings
    ever_paid = Pledge.objects.filter(campaign=oven, paid_at__isnull=False)
    assert cents_of(oven.raised) == sum(cents_of(p.amount) for p in ever_paid)
    if oven.status in (Campaign.Status.MISSED_REFUNDED, Campaign.Status.CANCELLED):
        assert holdings == 0 and not paid.exists()
    assert services.trial_balance()["balanced"]
    assert Entry.objects.filter(amount=0).count() == 0
