"""Property: any sequence of earning (online and at counters), spending at counters, refunds,
offers, pledges paid with points and expiry, spread over several months and settled month by
month, keeps the books: every transaction balances per unit, no supporter is ever below zero,
each month's settlement line is exactly the value spent at that shop less the value it gave,
every shop's account is back at zero, and the network's pool holds exactly what supporters
(and the expired account) hold."""

import datetime
from collections import defaultdict

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from djmoney.money import Money
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import services
from loyalty.exceptions import LedgerRefused
from loyalty.models import Account, LedgerTransaction, Offer, SettlementLine
from marketplace.tests.factories import UserFactory
from shops.tests.factories import ShopFactory

pytestmark = pytest.mark.django_db

SUPPORTERS, SHOPS, MONTHS = 3, 3, 3

step = st.one_of(
    st.tuples(st.just("earn"), st.integers(0, 2), st.integers(0, 2), st.integers(1, 400)),
    st.tuples(st.just("redeem"), st.integers(0, 2), st.integers(0, 2), st.integers(-5, 900)),
    st.tuples(st.just("refund"), st.integers(0, 2), st.integers(0, 2), st.integers(0, 9)),
    st.tuples(st.just("offer"), st.integers(0, 2), st.integers(0, 2), st.integers(1, 600)),
    st.tuples(st.just("expire"), st.integers(0, 2), st.integers(0, 2), st.integers(0, 0)),
)
months = st.lists(st.lists(step, max_size=10), min_size=MONTHS, max_size=MONTHS)


def _first_of_month(months_ago: int) -> datetime.date:
    day = timezone.localdate().replace(day=1)
    for _ in range(months_ago):
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    return day


class Rollback(Exception):
    pass


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=months)
def test_any_sequence_over_months_keeps_the_books_and_settles_the_cross_shop_flows(plan):
    try:
        # Points expire after a month here, so expiry happens within the plan's months.
        with transaction.atomic(), override_settings(LOYALTY_POINTS_EXPIRE_MONTHS=1):
            _run(plan)
            raise Rollback  # each example starts from an empty ledger
    except Rollback:
        pass


def _run(plan):
    users = [UserFactory() for _ in range(SUPPORTERS)]
    shops = [ShopFactory() for _ in range(SHOPS)]
    cards = [services.card_for(user) for user in users]
    # What the model says each shop should settle per month: spent there less given there.
    expected = defaultdict(int)
    earned = defaultdict(list)
    for months_ago, steps in zip(range(MONTHS, 0, -1), plan, strict=True):
        when = timezone.now().replace(day=1) - datetime.timedelta(days=30 * months_ago - 15)
        month = _first_of_month(months_ago)
        for number, (action, who, where, amount) in enumerate(steps):
            user, shop = users[who], shops[where]
            key = f"{months_ago}-{number}"
            before = LedgerTransaction.objects.count()
            try:
                if action == "earn":
                    record = services.points_award_at_counter(
                        card=cards[who],
                        shop=shop,
                        amount=Money(amount, "EUR"),
                        key=key,
                        actor=None,
                    )
                    points = record.entries.get(account__user=user).amount
                    earned[who].append((where, points))
                    expected[(month, where)] -= points
                elif action == "redeem":
                    services.points_redeem(user=user, shop=shop, points=amount, key=key)
                    expected[(month, where)] += amount
                elif action == "refund" and earned[who]:
                    # A refund takes back what was earned, as far as the supporter has it.
                    origin, points = earned[who].pop(amount % len(earned[who]))
                    wallet = services.account_for_supporter(user)
                    back = min(points, wallet.balance)
                    if back:
                        services.ledger_post(
                            key=key,
                            kind=LedgerTransaction.Kind.REVERSAL,
                            legs=[
                                (wallet, -back),
                                (services.account_for_shop(shops[origin]), back),
                            ],
                            shop=shops[origin],
                        )
                        expected[(month, origin)] += back
                elif action == "offer":
                    offer = Offer.objects.create(shop=shop, title="Treat", points_cost=amount)
                    services.offer_claim(offer_id=offer.pk, user=user, key=key)
                    expected[(month, where)] += amount
                elif action == "expire":
                    services.points_expire(account=services.account_for_supporter(user))
            except LedgerRefused:
                assert LedgerTransaction.objects.count() == before  # refused: nothing written
                continue
            LedgerTransaction.objects.filter(pk__gt=0, created_at__gt=when).update(created_at=when)
            assert not Account.objects.filter(
                kind__in=Account.SUPPORTER_KINDS, balance__lt=0
            ).exists()

    services.settlement_run_due()

    check = services.trial_balance()
    assert check["balanced"], check
    for line in SettlementLine.objects.select_related("settlement"):
        index = [s.pk for s in shops].index(line.shop_id)
        assert line.net == expected[(line.settlement.month, index)]
    settled = {(line.settlement.month, line.shop_id) for line in SettlementLine.objects.all()}
    for (month, index), net in expected.items():
        if net:
            assert (month, shops[index].pk) in settled
    for shop in shops:
        assert services.account_for_shop(shop).balance == 0
    held = sum(
        a.balance
        for a in Account.objects.filter(kind__in=[Account.Kind.SUPPORTER_POINTS, "expired"])
    )
    assert services.network_account().balance == -held
