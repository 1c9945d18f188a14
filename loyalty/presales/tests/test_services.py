"""Presale campaigns: pledges (money, points, both), the deadline in every outcome, redemption
in parts at the counter, and every refusal leaving the ledger untouched."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from loyalty import services
from loyalty.exceptions import CampaignError, NotEnoughPoints, NotEnoughValue, RedemptionNotOpen
from loyalty.models import Campaign, CampaignEvent, Entry, LedgerTransaction, Pledge
from loyalty.presales import services as presales
from marketplace import outbox
from marketplace.models import OutboxMessage
from marketplace.tests.factories import UserFactory
from shops.tests.factories import ShopFactory

from .factories import campaign, eur, give_points, holding, paid_pledge, redeeming, token
from .fake_stripe import install

pytestmark = pytest.mark.django_db


@pytest.fixture
def fake_stripe_for_pledges(settings, monkeypatch):
    return install(settings, monkeypatch)


def ledger_size() -> tuple[int, int]:
    return LedgerTransaction.objects.count(), Entry.objects.count()


def close_at_deadline(campaign_):
    return presales.campaign_close(
        campaign=campaign_, now=campaign_.deadline + datetime.timedelta(seconds=1)
    )


# Pledging ------------------------------------------------------------------------------------
def test_a_pledge_at_the_shop_counts_once_the_shop_has_the_money():
    # Given an open campaign and a supporter who pledges 40 € to pay at the shop
    oven = campaign()
    supporter = UserFactory()
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=supporter,
        amount=eur("40.00"),
        payment_method="at_shop",
        token=token(),
    )
    # Then nothing is in the ledger yet and the campaign has raised nothing
    assert pledge.status == Pledge.Status.AWAITING_PAYMENT
    assert holding(supporter, oven) == 0
    # When a shop member takes the money at the counter
    presales.pledge_confirm_paid_at_shop(shop=oven.shop, pledge_id=pledge.pk, actor=None)
    # Then the supporter holds 40 € of value, the shop owes it, and progress shows it
    oven.refresh_from_db()
    assert holding(supporter, oven) == 4000
    assert services.presale_liability(oven).balance == -4000
    assert oven.raised == eur("40.00") and oven.progress_percent == 8
    assert services.trial_balance()["balanced"]


def test_a_pledge_paid_partly_with_points_moves_the_points_to_the_shop():
    # Given a supporter with 1,500 points and a campaign that takes points
    oven = campaign()
    supporter = UserFactory()
    give_points(supporter, 1500)
    # When they pledge 30 € of which 12 € (1,200 points) in points, the rest at the shop
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=supporter,
        amount=eur("30.00"),
        points=1200,
        payment_method="at_shop",
        token=token(),
    )
    assert pledge.money_part == eur("18.00")
    # Then the points leave the wallet at once, held for the pledge
    assert services.account_for_supporter(supporter).balance == 300
    assert holding(supporter, oven) == 0
    presales.pledge_confirm_paid_at_shop(shop=oven.shop, pledge_id=pledge.pk, actor=None)
    # And once the shop has the money: 30 € of presale value, the shop's points account 1,200
    assert holding(supporter, oven) == 3000
    assert services.account_for_supporter(supporter).balance == 300
    assert services.account_for_shop(oven.shop).balance == 1200
    legs = sorted(
        Entry.objects.filter(transaction__kind="pledge", transaction__pledge=pledge).values_list(
            "amount", flat=True
        )
    )
    assert legs == [-3000, -1200, 1200, 3000]


def test_a_pledge_paid_entirely_with_points_is_paid_at_once():
    oven = campaign()
    supporter = UserFactory()
    give_points(supporter, 1000)
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=supporter,
        amount=eur("10.00"),
        points=1000,
        payment_method="card",
        token=token(),
    )
    assert pledge.status == Pledge.Status.PAID
    assert holding(supporter, oven) == 1000
    assert services.account_for_supporter(supporter).balance == 0


def test_the_same_pledge_form_sent_twice_makes_one_pledge():
    oven = campaign()
    supporter = UserFactory()
    form_token = token()
    first = presales.pledge_create(
        campaign=oven,
        supporter=supporter,
        amount=eur("20.00"),
        payment_method="at_shop",
        token=form_token,
    )
    again = presales.pledge_create(
        campaign=oven,
        supporter=supporter,
        amount=eur("20.00"),
        payment_method="at_shop",
        token=form_token,
    )
    assert first.pk == again.pk and Pledge.objects.count() == 1


@pytest.mark.parametrize(
    ("amount", "points", "fields", "message"),
    [
        ("0.00", 0, {}, "above zero"),
        ("-5.00", 0, {}, "above zero"),
        ("2.00", 0, {}, "smallest pledge"),
        ("20.005", 0, {}, "whole cents"),
        ("20.00", -5, {}, "above zero"),
        ("20.00", 100, {"accepts_points": False}, "does not take points"),
        ("20.00", 2500, {}, "at most the whole pledge"),
        ("20.00", 0, {"status": Campaign.Status.DRAFT}, "no longer takes pledges"),
        ("20.00", 0, {"status": Campaign.Status.FUNDED}, "no longer takes pledges"),
    ],
)
def test_bad_pledges_are_refused_and_nothing_is_written(amount, points, fields, message):
    oven = campaign(**fields)
    supporter = UserFactory()
    give_points(supporter, 5000)
    before = ledger_size()
    with pytest.raises(CampaignError, match=message):
        presales.pledge_create(
            campaign=oven,
            supporter=supporter,
            amount=eur(amount),
            points=points,
            payment_method="at_shop",
            token=token(),
        )
    assert ledger_size() == before and not Pledge.objects.exists()


def test_a_pledge_after_the_deadline_is_refused():
    oven = campaign(deadline=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(CampaignError, match="no longer takes pledges"):
        presales.pledge_create(
            campaign=oven,
            supporter=UserFactory(),
            amount=eur("20.00"),
            payment_method="at_shop",
            token=token(),
        )
    assert not Pledge.objects.exists()


def test_more_points_than_the_supporter_has_are_refused():
    oven = campaign()
    supporter = UserFactory()
    give_points(supporter, 300)
    before = ledger_size()
    with pytest.raises(NotEnoughPoints):
        presales.pledge_create(
            campaign=oven,
            supporter=supporter,
            amount=eur("20.00"),
            points=500,
            payment_method="at_shop",
            token=token(),
        )
    assert ledger_size() == before and not Pledge.objects.exists()


def test_points_held_for_a_pledge_cannot_be_spent_elsewhere_and_come_back_if_it_lapses():
    oven = campaign()
    supporter = UserFactory()
    give_points(supporter, 500)
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=supporter,
        amount=eur("20.00"),
        points=500,
        payment_method="at_shop",
        token=token(),
    )
    before = ledger_size()
    with pytest.raises(NotEnoughPoints):
        services.points_redeem(user=supporter, shop=ShopFactory(), points=200, key="elsewhere")
    assert ledger_size() == before

    presales.pledges_lapse_unpaid(now=timezone.now() + datetime.timedelta(days=30))

    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CANCELLED
    assert services.account_for_supporter(supporter).balance == 500
    assert services.account_for_shop(oven.shop).balance == 0
    presales.pledges_lapse_unpaid(now=timezone.now() + datetime.timedelta(days=31))
    assert services.account_for_supporter(supporter).balance == 500  # given back once


def test_a_withdrawn_pledge_gives_its_points_back():
    oven = campaign()
    supporter = UserFactory()
    give_points(supporter, 500)
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=supporter,
        amount=eur("20.00"),
        points=300,
        payment_method="at_shop",
        token=token(),
    )
    assert services.account_for_supporter(supporter).balance == 200
    presales.pledge_cancel(pledge=pledge, user=supporter)
    assert services.account_for_supporter(supporter).balance == 500
    assert services.trial_balance()["balanced"]


def test_another_shop_cannot_confirm_a_pledge():
    oven = campaign()
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=UserFactory(),
        amount=eur("20.00"),
        payment_method="at_shop",
        token=token(),
    )
    with pytest.raises(CampaignError):
        presales.pledge_confirm_paid_at_shop(shop=ShopFactory(), pledge_id=pledge.pk, actor=None)
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.AWAITING_PAYMENT


def test_unpaid_pledges_at_the_shop_lapse_after_the_set_days(settings):
    settings.PRESALE_AT_SHOP_PAYMENT_DAYS = 7
    oven = campaign()
    pledge = presales.pledge_create(
        campaign=oven,
        supporter=UserFactory(),
        amount=eur("20.00"),
        payment_method="at_shop",
        token=token(),
    )
    assert presales.pledges_lapse_unpaid(now=timezone.now() + datetime.timedelta(days=6)) == 0
    assert presales.pledges_lapse_unpaid(now=timezone.now() + datetime.timedelta(days=8)) == 1
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CANCELLED and "in time" in pledge.status_note
    with pytest.raises(CampaignError):
        presales.pledge_confirm_paid_at_shop(shop=oven.shop, pledge_id=pledge.pk, actor=None)


def test_a_supporter_can_withdraw_an_unpaid_pledge_but_not_a_paid_one():
    oven = campaign()
    supporter = UserFactory()
    waiting = presales.pledge_create(
        campaign=oven,
        supporter=supporter,
        amount=eur("20.00"),
        payment_method="at_shop",
        token=token(),
    )
    assert presales.pledge_cancel(pledge=waiting, user=supporter).status == "cancelled"
    paid = paid_pledge(oven, supporter)
    with pytest.raises(CampaignError):
        presales.pledge_cancel(pledge=paid, user=supporter)


# The deadline --------------------------------------------------------------------------------
def test_a_campaign_that_reaches_its_target_is_funded_and_opens_redemption_on_its_date(
    django_capture_on_commit_callbacks,
):
    oven = campaign(target="100.00")
    first, second = paid_pledge(oven, amount="60.00"), paid_pledge(oven, amount="50.00")
    with django_capture_on_commit_callbacks(execute=True):
        closed = close_at_deadline(oven)
    assert closed.status == Campaign.Status.FUNDED
    assert {m.to[0] for m in mail.outbox} == {first.supporter.email, second.supporter.email}
    # The beat opens redemption on its date, not before, and ends it after the last day.
    assert (
        presales.campaigns_open_redemption_due(
            today=oven.redemption_opens_on - datetime.timedelta(days=1)
        )
        == 0
    )
    assert presales.campaigns_open_redemption_due(today=oven.redemption_opens_on) == 1
    oven.refresh_from_db()
    assert oven.status == Campaign.Status.REDEEMING
    assert presales.campaigns_end_redemption_due(today=oven.redemption_ends_on) == 0
    assert (
        presales.campaigns_end_redemption_due(
            today=oven.redemption_ends_on + datetime.timedelta(days=1)
        )
        == 1
    )
    oven.refresh_from_db()
    assert oven.status == Campaign.Status.ENDED
    assert list(oven.events.values_list("to_status", flat=True)) == [
        "open",
        "funded",
        "redeeming",
        "ended",
    ]


def test_a_missed_target_refunds_everyone_when_the_shop_chose_refunds(
    django_capture_on_commit_callbacks, fake_stripe_for_pledges
):
    # Given a campaign that refunds when missed, with a points+cash pledge, a card pledge
    oven = campaign(target="500.00", if_missed=Campaign.IfMissed.REFUND)
    at_shop = paid_pledge(oven, amount="30.00", points=1000)
    card = fake_stripe_for_pledges.paid_card_pledge(oven, amount="25.00")
    points_before = services.account_for_supporter(at_shop.supporter).balance
    # When the deadline passes with 55 € of 500 € raised
    with django_capture_on_commit_callbacks(execute=True):
        closed = presales.campaigns_close_due(now=oven.deadline + datetime.timedelta(seconds=1))
    oven.refresh_from_db()
    # Then the campaign says so, nobody holds value, points are back, the card is refunded
    assert closed == 1 and oven.status == Campaign.Status.MISSED_REFUNDED
    assert holding(at_shop.supporter, oven) == 0 and holding(card.supporter, oven) == 0
    assert services.presale_liability(oven).balance == 0
    assert services.account_for_supporter(at_shop.supporter).balance == points_before + 1000
    at_shop.refresh_from_db(), card.refresh_from_db()
    assert at_shop.status == card.status == Pledge.Status.REFUNDED
    assert card.money_returned_at is not None  # Stripe refunded 25 €
    refund = fake_stripe_for_pledges.refunds()[0]
    assert refund["amount"] == ["2500"] and refund["payment_intent"] == ["pi_pledge"]
    assert at_shop.money_returned_at is None  # 20 € cash waits to be handed back
    assert "refunded" in " ".join(m.body for m in mail.outbox)
    assert services.trial_balance()["balanced"]
    # And closing again changes nothing
    assert presales.campaigns_close_due(now=oven.deadline + datetime.timedelta(days=1)) == 0
    assert LedgerTransaction.objects.filter(kind="pledge_refund").count() == 2


def test_a_missed_target_keeps_the_pledges_when_the_shop_chose_to_keep():
    oven = campaign(target="500.00", if_missed=Campaign.IfMissed.KEEP)
    pledge = paid_pledge(oven, amount="40.00")
    close_at_deadline(oven)
    oven.refresh_from_db()
    assert oven.status == Campaign.Status.MISSED_KEPT
    assert holding(pledge.supporter, oven) == 4000
    assert not LedgerTransaction.objects.filter(kind="pledge_refund").exists()
    assert presales.campaigns_open_redemption_due(today=oven.redemption_opens_on) == 1
    oven.refresh_from_db()
    assert oven.status == Campaign.Status.REDEEMING


def test_pledges_still_unpaid_at_the_deadline_lapse():
    oven = campaign(target="10.00")
    paid_pledge(oven, amount="20.00")
    waiting = presales.pledge_create(
        campaign=oven,
        supporter=UserFactory(),
        amount=eur("20.00"),
        payment_method="at_shop",
        token=token(),
    )
    close_at_deadline(oven)
    waiting.refresh_from_db()
    assert waiting.status == Pledge.Status.CANCELLED


def test_cancelling_refunds_every_paid_pledge_and_cash_is_handed_back_at_the_counter():
    oven = campaign()
    pledge = paid_pledge(oven, amount="20.00")
    presales.campaign_cancel(campaign=oven, actor=None)
    oven.refresh_from_db(), pledge.refresh_from_db()
    assert oven.status == Campaign.Status.CANCELLED and pledge.status == "refunded"
    assert holding(pledge.supporter, oven) == 0
    with pytest.raises(CampaignError):
        presales.pledge_money_handed_back(shop=ShopFactory(), pledge_id=pledge.pk, actor=None)
    presales.pledge_money_handed_back(shop=oven.shop, pledge_id=pledge.pk, actor=None)
    pledge.refresh_from_db()
    assert pledge.money_returned_at is not None


def test_a_campaign_in_redemption_cannot_be_cancelled():
    oven = campaign(target="10.00")
    paid_pledge(oven, amount="20.00")
    redeeming(oven)
    with pytest.raises(CampaignError):
        presales.campaign_cancel(campaign=oven, actor=None)


def test_redemption_opens_early_only_once_the_target_is_reached():
    oven = campaign(target="100.00")
    paid_pledge(oven, amount="50.00")
    with pytest.raises(CampaignError, match="target is reached"):
        presales.campaign_open_redemption(campaign=oven)
    paid_pledge(oven, amount="50.00")
    opened = presales.campaign_open_redemption(campaign=oven)
    assert opened.status == Campaign.Status.REDEEMING
    assert opened.redemption_opens_on == timezone.localdate()


# Redemption at the counter --------------------------------------------------------------------
def test_a_supporter_redeems_in_parts_until_the_value_is_used():
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="30.00")
    supporter, shop = pledge.supporter, oven.shop
    redeeming(oven)
    for part, left in [(1000, 2000), (1250, 750), (750, 0)]:
        presales.presale_redeem(
            shop=shop,
            user=supporter,
            campaign_id=oven.pk,
            amount_cents=part,
            key=token(),
            actor=None,
        )
        assert holding(supporter, oven) == left
    assert services.presale_liability(oven).balance == 0
    with pytest.raises(NotEnoughValue):
        presales.presale_redeem(
            shop=shop,
            user=supporter,
            campaign_id=oven.pk,
            amount_cents=1,
            key=token(),
            actor=None,
        )
    assert services.trial_balance()["balanced"]


def test_redeeming_more_than_remains_is_refused_and_writes_nothing():
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="20.00")
    redeeming(oven)
    before = ledger_size()
    with pytest.raises(NotEnoughValue):
        presales.presale_redeem(
            shop=oven.shop,
            user=pledge.supporter,
            campaign_id=oven.pk,
            amount_cents=2001,
            key=token(),
            actor=None,
        )
    assert ledger_size() == before and holding(pledge.supporter, oven) == 2000


def test_a_redemption_submitted_twice_is_posted_once():
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="20.00")
    redeeming(oven)
    key = token()
    for _ in range(2):
        presales.presale_redeem(
            shop=oven.shop,
            user=pledge.supporter,
            campaign_id=oven.pk,
            amount_cents=500,
            key=key,
            actor=None,
        )
    assert LedgerTransaction.objects.filter(kind="presale_redeem").count() == 1
    assert holding(pledge.supporter, oven) == 1500


@pytest.mark.parametrize("amount", [0, -500, None])
def test_zero_or_negative_redemptions_are_refused(amount):
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="20.00")
    redeeming(oven)
    before = ledger_size()
    with pytest.raises(CampaignError, match="above zero"):
        presales.presale_redeem(
            shop=oven.shop,
            user=pledge.supporter,
            campaign_id=oven.pk,
            amount_cents=amount,
            key=token(),
            actor=None,
        )
    assert ledger_size() == before


def test_redemption_before_it_opens_is_refused():
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="20.00")
    close_at_deadline(oven)  # funded, redemption opens in twenty days
    before = ledger_size()
    with pytest.raises(RedemptionNotOpen, match="opens on"):
        presales.presale_redeem(
            shop=oven.shop,
            user=pledge.supporter,
            campaign_id=oven.pk,
            amount_cents=100,
            key=token(),
            actor=None,
        )
    assert ledger_size() == before


def test_another_shops_campaign_cannot_be_redeemed_here():
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="20.00")
    redeeming(oven)
    with pytest.raises(CampaignError):
        presales.presale_redeem(
            shop=ShopFactory(),
            user=pledge.supporter,
            campaign_id=oven.pk,
            amount_cents=100,
            key=token(),
            actor=None,
        )
    assert holding(pledge.supporter, oven) == 2000


# Reminders -----------------------------------------------------------------------------------
def test_supporters_with_value_left_are_reminded_once_before_redemption_ends(
    settings, django_capture_on_commit_callbacks
):
    settings.PRESALE_REMINDER_DAYS = 14
    oven = campaign(target="10.00")
    supporter = UserFactory()
    paid_pledge(oven, supporter, amount="20.00")
    paid_pledge(oven, supporter, amount="5.00")  # two pledges, one reminder
    used_up = paid_pledge(oven, amount="10.00")
    redeeming(oven)
    presales.presale_redeem(
        shop=oven.shop,
        user=used_up.supporter,
        campaign_id=oven.pk,
        amount_cents=1000,
        key=token(),
        actor=None,
    )
    mail.outbox.clear()
    far = oven.redemption_ends_on - datetime.timedelta(days=30)
    assert presales.presale_reminders_due(today=far) == 0
    near = oven.redemption_ends_on - datetime.timedelta(days=10)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            presales.presale_reminders_due(today=near)
    assert [m.to for m in mail.outbox] == [[supporter.email]]
    assert "25,00" in mail.outbox[0].body or "25.00" in mail.outbox[0].body


def test_terms_that_make_no_sense_are_refused():
    shop = ShopFactory()
    now = timezone.now()
    good = {
        "title": "Oven",
        "purpose": "Bread",
        "target": eur("100"),
        "min_pledge": eur("5"),
        "deadline": now + datetime.timedelta(days=5),
        "reward": "store_credit",
        "reward_description": "",
        "redemption_opens_on": timezone.localdate() + datetime.timedelta(days=6),
        "redemption_ends_on": timezone.localdate() + datetime.timedelta(days=60),
        "if_missed": "refund",
        "accepts_points": False,
    }
    for change in [
        {"deadline": now - datetime.timedelta(days=1)},
        {"redemption_opens_on": timezone.localdate()},
        {"redemption_ends_on": good["redemption_opens_on"]},
        {"min_pledge": eur("200")},
    ]:
        with pytest.raises(CampaignError):
            presales.campaign_create(shop=shop, actor=None, data={**good, **change})
    created = presales.campaign_create(shop=shop, actor=None, data=good)
    assert created.status == Campaign.Status.DRAFT
    published = presales.campaign_publish(campaign=created, actor=None)
    assert published.status == Campaign.Status.OPEN
    with pytest.raises(CampaignError):
        presales.campaign_update(campaign=published, actor=None, data=good)
    assert CampaignEvent.objects.filter(campaign=created).count() == 2


def test_a_paid_pledge_sends_the_supporter_one_receipt_with_the_terms(
    django_capture_on_commit_callbacks,
):
    oven = campaign(if_missed=Campaign.IfMissed.KEEP)
    with django_capture_on_commit_callbacks(execute=True):
        pledge = paid_pledge(oven, amount="35.00")
    assert [m.to for m in mail.outbox] == [[pledge.supporter.email]]
    body = mail.outbox[0].body
    assert "interest-free loan" in body and "not a donation" in body
    assert "The shop keeps the money and honours every pledge" in body
    # Delivered again (a worker died before marking it done): nobody hears twice.
    message = OutboxMessage.objects.get(topic="loyalty.pledge_paid")
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxMessage.State.PENDING)
    assert outbox.outbox_deliver(message_id=message.pk) == "done"
    assert len(mail.outbox) == 1


def test_the_beat_tasks_close_open_end_and_lapse(settings):
    from loyalty import tasks

    due = campaign(target="10.00", deadline=timezone.now() + datetime.timedelta(seconds=1))
    paid_pledge(due, amount="20.00")
    waiting = presales.pledge_create(
        campaign=campaign(),
        supporter=UserFactory(),
        amount=eur("20.00"),
        payment_method="at_shop",
        token=token(),
    )
    Campaign.objects.filter(pk=due.pk).update(
        deadline=timezone.now() - datetime.timedelta(seconds=1),
        redemption_opens_on=timezone.localdate(),
    )
    Pledge.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now()
        - datetime.timedelta(days=settings.PRESALE_AT_SHOP_PAYMENT_DAYS + 1)
    )
    assert tasks.close_due_campaigns_task.delay().get() == 1
    assert tasks.open_due_redemptions_task.delay().get() == 1
    assert tasks.lapse_unpaid_pledges_task.delay().get() == 1
    assert tasks.end_due_redemptions_task.delay().get() == 0
    due.refresh_from_db()
    assert due.status == Campaign.Status.REDEEMING
    beat = settings.CELERY_BEAT_SCHEDULE
    for name in [
        "close_due_campaigns_task",
        "open_due_redemptions_task",
        "end_due_redemptions_task",
        "lapse_unpaid_pledges_task",
        "send_presale_reminders_task",
    ]:
        assert any(entry["task"] == f"loyalty.tasks.{name}" for entry in beat.values())


def test_a_shop_not_yet_admitted_cannot_publish_or_take_pledges():
    draft = campaign(ShopFactory(status="applied"), status=Campaign.Status.DRAFT)
    with pytest.raises(CampaignError, match="admitted"):
        presales.campaign_publish(campaign=draft, actor=None)
    running = campaign(ShopFactory(status="suspended"))
    with pytest.raises(CampaignError):
        presales.pledge_create(
            campaign=running,
            supporter=UserFactory(),
            amount=eur("20.00"),
            payment_method="at_shop",
            token=token(),
        )
    assert not Pledge.objects.exists()


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"deadline_days": 400}, "at most 365 days"),
        ({"redemption_days": 4 * 365}, "at most 3 years"),
    ],
)
def test_a_loan_is_kept_within_terms_people_can_plan_for(fields, message):
    today = timezone.localdate()
    values = {}
    if "deadline_days" in fields:
        values["deadline"] = timezone.now() + datetime.timedelta(days=fields["deadline_days"])
        values["redemption_opens_on"] = today + datetime.timedelta(days=fields["deadline_days"])
        values["redemption_ends_on"] = today + datetime.timedelta(days=fields["deadline_days"] + 30)
    else:
        values["redemption_ends_on"] = today + datetime.timedelta(
            days=20 + fields["redemption_days"]
        )
    draft = campaign(status=Campaign.Status.DRAFT, **values)
    with pytest.raises(CampaignError, match=message):
        presales.campaign_publish(campaign=draft, actor=None)
    draft.refresh_from_db()
    assert draft.status == Campaign.Status.DRAFT
