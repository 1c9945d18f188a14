"""Presale campaigns: a shop asks its supporters for money now and pays it back later in
goods or services of equal value. An interest-free loan, not a donation.

Every movement of value posts through ledger_post. A paid pledge of value V, P of it in
points: supporter_presale +V, shop_presale -V, supporter_points -P, shop_points +P. Redeeming
x at the counter: supporter_presale -x, shop_presale +x. A refund is the pledge reversed,
plus the money part given back (by Stripe for cards, in cash at the counter otherwise).

Locks are taken in one order everywhere: the campaign row, then pledge rows by primary key,
then ledger accounts (ledger_post locks those by primary key). No lock is held while Stripe
is called."""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace import events
from marketplace.money import cents_of
from orders.payments import stripe_card
from orders.payments.stripe_card import StripeCard

from ..exceptions import CampaignError, NotEnoughPoints, RedemptionNotOpen
from ..models import Account, Campaign, CampaignEvent, LedgerTransaction, Pledge
from ..services.ledger import (
    account_for_shop,
    account_for_supporter,
    ledger_post,
    ledger_post_or_get,
    presale_account_for_supporter,
    presale_liability,
)
from ..services.points import card_use_announce

log = logging.getLogger(__name__)
S = Campaign.Status

ALLOWED: dict[str, set[str]] = {
    S.DRAFT: {S.OPEN, S.CANCELLED},
    S.OPEN: {S.FUNDED, S.MISSED_KEPT, S.MISSED_REFUNDED, S.CANCELLED},
    S.FUNDED: {S.REDEEMING, S.CANCELLED},
    S.MISSED_KEPT: {S.REDEEMING, S.CANCELLED},
    S.REDEEMING: {S.ENDED},
    S.MISSED_REFUNDED: set(),
    S.ENDED: set(),
    S.CANCELLED: set(),
}
# Campaigns whose paid pledges the shop honours in goods.
HONOURED = {S.FUNDED, S.MISSED_KEPT, S.REDEEMING, S.ENDED}
# Before redemption opens, the shop can still call a campaign off (and refunds everyone).
CANCELLABLE = {S.DRAFT, S.OPEN, S.FUNDED, S.MISSED_KEPT}
# Supporters hear about these moves by email.
NOTIFIED = {S.FUNDED, S.MISSED_KEPT, S.MISSED_REFUNDED, S.REDEEMING, S.CANCELLED}


# Campaigns -----------------------------------------------------------------------------------
def _check_terms(campaign: Campaign, now: datetime.datetime) -> None:
    """The terms supporters see before pledging must make sense; raises CampaignError."""
    if campaign.shop.status != "active":
        raise CampaignError(
            _("Your shop can run presales once the members have admitted it to the cooperative.")
        )
    if campaign.target.amount <= 0:
        raise CampaignError(_("The target must be more than zero."))
    if campaign.min_pledge.amount <= 0 or campaign.min_pledge > campaign.target:
        raise CampaignError(_("The smallest pledge must be more than zero and at most the target."))
    if campaign.deadline <= now:
        raise CampaignError(_("The deadline for pledges must be in the future."))
    if campaign.redemption_opens_on < timezone.localdate(campaign.deadline):
        raise CampaignError(_("Redemption can open on the deadline's day at the earliest."))
    if campaign.redemption_ends_on <= campaign.redemption_opens_on:
        raise CampaignError(_("Redemption must end after it opens."))
    # Supporters lend the shop money: keep the loan's terms within what people can plan for.
    if campaign.deadline > now + datetime.timedelta(days=MAX_PLEDGE_DAYS):
        raise CampaignError(
            _("Take pledges for at most %(days)s days.") % {"days": MAX_PLEDGE_DAYS}
        )
    if campaign.redemption_ends_on > campaign.redemption_opens_on + datetime.timedelta(
        days=MAX_REDEMPTION_DAYS
    ):
        raise CampaignError(
            _("Redemption may last at most %(years)s years.")
            % {"years": MAX_REDEMPTION_DAYS // 365}
        )


MAX_PLEDGE_DAYS = 365
MAX_REDEMPTION_DAYS = 3 * 365


EDITABLE_FIELDS = [
    "title",
    "purpose",
    "target",
    "min_pledge",
    "deadline",
    "reward",
    "reward_description",
    "redemption_opens_on",
    "redemption_ends_on",
    "if_missed",
    "accepts_points",
]


def _set_products(campaign: Campaign, products) -> None:
    """Only the campaign's own shop's products can be its reward."""
    if products is None:
        return
    ids = [getattr(p, "pk", p) for p in products]
    own = list(campaign.shop.products.filter(pk__in=ids).values_list("pk", flat=True))
    if len(own) != len(set(ids)):
        raise CampaignError(_("Choose products of your own shop."))
    campaign.products.set(own)


@transaction.atomic
def campaign_create(*, shop, actor, data: dict) -> Campaign:
    """A draft campaign: nobody but the shop sees it until it is published."""
    campaign = Campaign(shop=shop, status=S.DRAFT, **{f: data[f] for f in EDITABLE_FIELDS})
    _check_terms(campaign, timezone.now())
    campaign.save()
    _set_products(campaign, data.get("products"))
    CampaignEvent.objects.create(campaign=campaign, to_status=S.DRAFT, actor=actor)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor, data: dict) -> Campaign:
    """Change a draft. Once published, the terms supporters pledged under never change."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != S.DRAFT:
        raise CampaignError(_("A published campaign's terms can no longer be changed."))
    for field in EDITABLE_FIELDS:
        setattr(locked, field, data[field])
    _check_terms(locked, timezone.now())
    locked.save()
    _set_products(locked, data.get("products"))
    return locked


@transaction.atomic
def campaign_transition(*, campaign: Campaign, to_status: str, actor=None, note="") -> Campaign:
    """Move the campaign under a row lock and record the event; supporters are emailed
    after commit about outcomes. Raises CampaignError for a move the table forbids."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if to_status not in ALLOWED[locked.status]:
        raise CampaignError(
            _("A campaign that is “%(status)s” cannot change like this.")
            % {"status": locked.get_status_display()}
        )
    event = CampaignEvent.objects.create(
        campaign=locked, from_status=locked.status, to_status=to_status, actor=actor, note=note
    )
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at"])
    if to_status in NOTIFIED:
        events.publish("loyalty.campaign_moved", campaign_event=event)
    return locked


def campaign_publish(*, campaign: Campaign, actor) -> Campaign:
    """Open a draft for pledges, once its terms still hold (the deadline is ahead)."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status == S.DRAFT:
            _check_terms(locked, timezone.now())
        return campaign_transition(campaign=locked, to_status=S.OPEN, actor=actor)


@transaction.atomic
def campaign_close(*, campaign: Campaign, now: datetime.datetime | None = None) -> Campaign:
    """At the deadline: funded if paid pledges reached the target; otherwise the shop's
    choice made at creation applies (everyone refunded, or pledges kept and honoured).
    Pledges still awaiting payment lapse. Safe to call again: a closed campaign is left."""
    now = now or timezone.now()
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != S.OPEN or locked.deadline > now:
        return locked
    _lapse_awaiting(locked, _("The campaign closed before this pledge was paid."))
    if locked.raised >= locked.target:
        return campaign_transition(campaign=locked, to_status=S.FUNDED)
    if locked.if_missed == Campaign.IfMissed.KEEP:
        return campaign_transition(
            campaign=locked,
            to_status=S.MISSED_KEPT,
            note=_("The target was missed; as announced, every pledge is honoured."),
        )
    _refund_all(locked, _("The target was missed, so everyone gets their money back."))
    return campaign_transition(
        campaign=locked,
        to_status=S.MISSED_REFUNDED,
        note=_("The target was missed; as announced, everyone was refunded."),
    )


def campaigns_close_due(*, now: datetime.datetime | None = None) -> int:
    """Close every open campaign whose deadline has passed; returns how many."""
    now = now or timezone.now()
    due = list(
        Campaign.objects.filter(status=S.OPEN, deadline__lte=now).values_list("pk", flat=True)
    )
    for pk in due:
        campaign_close(campaign=Campaign(pk=pk), now=now)
    return len(due)


@transaction.atomic
def campaign_open_redemption(*, campaign: Campaign, actor=None, today=None) -> Campaign:
    """Supporters may redeem from today. The shop may open it early ("open redemption
    now"); an open campaign that has reached its target stops taking pledges first."""
    today = today or timezone.localdate()
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status == S.OPEN:
        if locked.raised < locked.target:
            raise CampaignError(
                _(
                    "Redemption can open early only once the target is reached; otherwise it "
                    "opens after the deadline."
                )
            )
        _lapse_awaiting(locked, _("The campaign closed before this pledge was paid."))
        locked = campaign_transition(
            campaign=locked,
            to_status=S.FUNDED,
            actor=actor,
            note=_("Target reached; the shop closed pledging early."),
        )
    if locked.status not in (S.FUNDED, S.MISSED_KEPT):
        raise CampaignError(_("Redemption can only open for a funded campaign."))
    if today >= locked.redemption_ends_on:
        raise CampaignError(_("The redemption period has already passed."))
    if today < locked.redemption_opens_on:
        # Opened early: the dates supporters see follow what happened.
        locked.redemption_opens_on = today
        locked.save(update_fields=["redemption_opens_on", "updated_at"])
    return campaign_transition(campaign=locked, to_status=S.REDEEMING, actor=actor)


def campaigns_open_redemption_due(*, today=None) -> int:
    today = today or timezone.localdate()
    due = list(
        Campaign.objects.filter(
            status__in=[S.FUNDED, S.MISSED_KEPT], redemption_opens_on__lte=today
        ).values_list("pk", flat=True)
    )
    opened = 0
    for pk in due:
        try:
            campaign_open_redemption(campaign=Campaign(pk=pk), today=today)
            opened += 1
        except CampaignError:
            log.warning("Campaign %s could not open redemption", pk)
    return opened


def campaigns_end_redemption_due(*, today=None) -> int:
    """After the last day of redemption, the campaign ends: nothing more can be redeemed."""
    today = today or timezone.localdate()
    due = list(
        Campaign.objects.filter(status=S.REDEEMING, redemption_ends_on__lt=today).values_list(
            "pk", flat=True
        )
    )
    for pk in due:
        with transaction.atomic():
            locked = Campaign.objects.select_for_update().get(pk=pk)
            if locked.status == S.REDEEMING:
                campaign_transition(campaign=locked, to_status=S.ENDED)
    return len(due)


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, actor, reason: str = "") -> Campaign:
    """The shop calls the campaign off before redemption opens: every paid pledge is
    refunded (points at once, card money by Stripe, cash at the counter)."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status not in CANCELLABLE:
        raise CampaignError(_("Once redemption has opened a campaign can no longer be cancelled."))
    note = reason or _("The shop cancelled the campaign; everyone gets their money back.")
    _lapse_awaiting(locked, note)
    _refund_all(locked, note)
    return campaign_transition(campaign=locked, to_status=S.CANCELLED, actor=actor, note=note)


def _lapse_awaiting(campaign: Campaign, note: str) -> None:
    _cancel_awaiting(Pledge.objects.filter(campaign=campaign), note)


def _cancel_awaiting(pledges, note: str) -> int:
    """Cancel the pledges among `pledges` still waiting for payment, giving back the points
    each one holds; returns how many. Locks them in primary-key order."""
    waiting = list(
        pledges.filter(status=Pledge.Status.AWAITING_PAYMENT).select_for_update().order_by("pk")
    )
    for pledge in waiting:
        pledge.status = Pledge.Status.CANCELLED
        pledge.status_note = note
        pledge.save(update_fields=["status", "status_note", "updated_at"])
        _release_points(pledge)
    return len(waiting)


def _hold_points(pledge: Pledge) -> None:
    """The points part of a pledge leaves the wallet when the pledge is made, so they cannot
    be spent elsewhere while the money part is awaited (the shop receives their value)."""
    if pledge.points_used:
        ledger_post(
            key=f"pledge-points-{pledge.pk}",
            kind=LedgerTransaction.Kind.PLEDGE,
            legs=[
                (account_for_supporter(pledge.supporter), -pledge.points_used),
                (account_for_shop(pledge.campaign.shop), pledge.points_used),
            ],
            memo=_("Points for a pledge: %(campaign)s") % {"campaign": pledge.campaign.title},
            shop=pledge.campaign.shop,
            pledge=pledge,
        )


def _release_points(pledge: Pledge) -> None:
    """A pledge that was never paid gives its held points back (once: keyed by pledge)."""
    if pledge.points_used:
        ledger_post(
            key=f"pledge-points-back-{pledge.pk}",
            kind=LedgerTransaction.Kind.RETURN,
            legs=[
                (account_for_supporter(pledge.supporter), pledge.points_used),
                (account_for_shop(pledge.campaign.shop), -pledge.points_used),
            ],
            memo=_("Pledge not completed: %(campaign)s") % {"campaign": pledge.campaign.title},
            shop=pledge.campaign.shop,
            pledge=pledge,
        )


def _refund_all(campaign: Campaign, note: str) -> None:
    paid = (
        Pledge.objects.select_for_update()
        .filter(campaign=campaign, status=Pledge.Status.PAID)
        .order_by("pk")
    )
    for pledge in paid:
        _refund_pledge(pledge, note)


def _refund_pledge(pledge: Pledge, note: str) -> None:
    """The pledge reversed in the ledger; the money part goes back after commit (card) or
    waits to be handed back at the counter (paid at the shop). Caller holds the locks."""
    campaign = pledge.campaign
    value, points = cents_of(pledge.amount), pledge.points_used
    ledger_post(
        key=f"pledge-refund-{pledge.pk}",
        kind=LedgerTransaction.Kind.PLEDGE_REFUND,
        legs=[
            (presale_account_for_supporter(pledge.supporter, campaign), -value),
            (presale_liability(campaign), value),
            (account_for_supporter(pledge.supporter), points),
            (account_for_shop(campaign.shop), -points),
        ],
        memo=_("Refund: %(campaign)s") % {"campaign": campaign.title},
        shop=campaign.shop,
        pledge=pledge,
    )
    now = timezone.now()
    pledge.status = Pledge.Status.REFUNDED
    pledge.status_note = note
    pledge.refunded_at = now
    fields = ["status", "status_note", "refunded_at", "updated_at"]
    if pledge.money_part.amount <= 0:
        pledge.money_returned_at = now  # all points: nothing else to give back
        fields.append("money_returned_at")
    pledge.save(update_fields=fields)
    if pledge.payment_method == Pledge.PaymentMethod.CARD and pledge.money_part.amount > 0:
        events.publish("loyalty.pledge_card_refund_due", pledge=pledge)


# Pledges -------------------------------------------------------------------------------------
def card_payment_available() -> bool:

    return StripeCard().is_available()


def pledge_create(
    *,
    campaign: Campaign,
    supporter,
    amount: Money,
    points: int = 0,
    payment_method: str,
    token: str,
) -> Pledge:
    """A supporter's pledge. Paid entirely with points, it is paid at once; otherwise it
    awaits the card payment or the money at the shop. The same form token returns the
    first pledge. Raises CampaignError (what to fix) or NotEnoughPoints; nothing written."""
    existing = Pledge.objects.filter(token=token, supporter=supporter).first()
    if existing is not None:
        return existing
    points = int(points or 0)
    if amount.amount <= 0 or points < 0:
        raise CampaignError(_("Enter an amount above zero."))
    if (
        campaign.status != S.OPEN
        or campaign.deadline <= timezone.now()
        or campaign.shop.status != "active"
    ):
        raise CampaignError(_("This campaign no longer takes pledges."))
    if amount < campaign.min_pledge:
        raise CampaignError(
            _("The smallest pledge for this campaign is %(min)s.") % {"min": campaign.min_pledge}
        )
    if amount.amount != amount.amount.quantize(Decimal("0.01")):
        raise CampaignError(_("Enter the amount in whole cents."))
    if points and not campaign.accepts_points:
        raise CampaignError(_("This campaign does not take points."))
    if points > cents_of(amount):
        raise CampaignError(_("You can pay at most the whole pledge with points."))
    if points and account_for_supporter(supporter).balance < points:
        raise NotEnoughPoints()
    pays_money = points < cents_of(amount)
    if not pays_money:
        payment_method = Pledge.PaymentMethod.AT_SHOP  # nothing to pay; recorded as such
    elif payment_method == Pledge.PaymentMethod.CARD and not card_payment_available():
        raise CampaignError(_("Card payment is not available; choose to pay at the shop."))
    elif payment_method not in Pledge.PaymentMethod.values:
        raise CampaignError(_("Choose how to pay."))
    try:
        with transaction.atomic():
            # The campaign first, then accounts: the order closing and cancelling lock in.
            locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
            if locked.status != S.OPEN:
                raise CampaignError(_("This campaign no longer takes pledges."))
            pledge = Pledge.objects.create(
                campaign=locked,
                supporter=supporter,
                amount=amount,
                points_used=points,
                payment_method=payment_method,
                token=token,
            )
            _hold_points(pledge)
            if not pays_money:
                _pledge_pay(pledge, note=_("Paid with points."))
    except IntegrityError:
        # The same form sent twice at once: the first pledge stands.
        existing = Pledge.objects.filter(token=token).first()
        if existing is None or existing.supporter_id != supporter.pk:
            raise CampaignError(_("Please send the pledge form again.")) from None
        return existing
    pledge.refresh_from_db()
    return pledge


def _pledge_pay(pledge: Pledge, *, note: str = "", actor=None, statuses=(S.OPEN,)) -> Pledge:
    """Post the pledge to the ledger and count it towards the campaign. Raises
    CampaignError when the campaign does not take it. The points part is already held
    (since the pledge was made), so it cannot fall short."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=pledge.campaign_id)
        locked = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if locked.status == Pledge.Status.PAID:
            return locked
        if locked.status != Pledge.Status.AWAITING_PAYMENT:
            raise CampaignError(_("This pledge is no longer waiting for payment."))
        if campaign.status not in statuses:
            raise CampaignError(_("This campaign no longer takes pledges."))
        value = cents_of(locked.amount)
        # The points part left the wallet when the pledge was made (_hold_points).
        ledger_post(
            key=f"pledge-{locked.pk}",
            kind=LedgerTransaction.Kind.PLEDGE,
            legs=[
                (presale_account_for_supporter(locked.supporter, campaign), value),
                (presale_liability(campaign), -value),
            ],
            memo=_("Presale: %(campaign)s") % {"campaign": campaign.title},
            shop=campaign.shop,
            pledge=locked,
            actor=actor,
        )
        locked.status = Pledge.Status.PAID
        locked.paid_at = timezone.now()
        locked.status_note = note
        locked.save(update_fields=["status", "paid_at", "status_note", "updated_at"])
        Campaign.objects.filter(pk=campaign.pk).update(raised=F("raised") + locked.amount.amount)
        events.publish("loyalty.pledge_paid", pledge=locked)
        return locked


def pledge_confirm_paid_at_shop(*, shop, pledge_id: int, actor) -> Pledge:
    """A shop member took the money for an at-shop pledge at the counter. Only the shop's
    own campaigns' pledges, only while the campaign takes pledges."""
    pledge = Pledge.objects.filter(
        pk=pledge_id,
        campaign__shop=shop,
        payment_method=Pledge.PaymentMethod.AT_SHOP,
    ).first()
    if pledge is None:
        raise CampaignError(_("No pledge waiting for payment here has this number."))
    if pledge.campaign.deadline <= timezone.now():
        raise CampaignError(_("This campaign no longer takes pledges."))
    return _pledge_pay(pledge, actor=actor, note=_("Paid at the shop."))


def pledge_cancel(*, pledge: Pledge, user) -> Pledge:
    """The supporter withdraws a pledge they have not paid yet."""
    with transaction.atomic():
        locked = Pledge.objects.select_for_update().get(pk=pledge.pk, supporter=user)
        if locked.status != Pledge.Status.AWAITING_PAYMENT:
            raise CampaignError(_("Only a pledge that is not paid yet can be withdrawn."))
        locked.status = Pledge.Status.CANCELLED
        locked.status_note = _("You withdrew this pledge.")
        locked.save(update_fields=["status", "status_note", "updated_at"])
        _release_points(locked)
        return locked


def pledges_lapse_unpaid(*, now: datetime.datetime | None = None) -> int:
    """At-shop pledges not paid within PRESALE_AT_SHOP_PAYMENT_DAYS, and card pledges whose
    checkout was abandoned, lapse; returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        at_shop = _cancel_awaiting(
            Pledge.objects.filter(
                payment_method=Pledge.PaymentMethod.AT_SHOP,
                created_at__lt=now - datetime.timedelta(days=settings.PRESALE_AT_SHOP_PAYMENT_DAYS),
            ),
            _("Not paid at the shop in time."),
        )
        card = _cancel_awaiting(
            Pledge.objects.filter(
                payment_method=Pledge.PaymentMethod.CARD,
                created_at__lt=now - datetime.timedelta(minutes=CARD_SESSION_MINUTES + 10),
            ),
            _("The card payment was not completed; nothing was charged."),
        )
    return at_shop + card


# Card payments (Stripe Checkout) ---------------------------------------------------------
CARD_SESSION_MINUTES = 60


def pledge_checkout_start(*, pledge: Pledge, return_url: str, cancel_url: str) -> str:
    """Where to send the supporter to pay the money part by card. A second call (a double
    click) returns the first session's address. No lock is held while Stripe is called."""

    if pledge.checkout_url:
        return pledge.checkout_url
    if pledge.status != Pledge.Status.AWAITING_PAYMENT:
        raise CampaignError(_("This pledge is no longer waiting for payment."))
    campaign = pledge.campaign
    session = stripe_card.stripe_client().v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": pledge.amount.currency.code.lower(),
                        "unit_amount": cents_of(pledge.money_part),
                        "product_data": {
                            "name": _("Presale at %(shop)s: %(campaign)s")
                            % {"shop": campaign.shop.name, "campaign": campaign.title}
                        },
                    },
                }
            ],
            "customer_email": pledge.supporter.email,
            "client_reference_id": f"pledge-{pledge.pk}",
            "metadata": {"pledge_id": str(pledge.pk)},
            "expires_at": int(
                (timezone.now() + datetime.timedelta(minutes=CARD_SESSION_MINUTES)).timestamp()
            ),
            "success_url": return_url,
            "cancel_url": cancel_url,
        },
        options={"idempotency_key": f"commonplace-pledge-{pledge.pk}"},
    )
    Pledge.objects.filter(pk=pledge.pk, checkout_url="").update(
        payment_reference=session.id, checkout_url=session.url
    )
    pledge.refresh_from_db()
    return pledge.checkout_url


def pledge_stripe_event(*, event: dict) -> Pledge | None:
    """A verified Stripe event about a pledge's Checkout session (metadata pledge_id).

    Paid: the pledge is posted once (its ledger key and status make a repeated event a
    no-op). If the campaign no longer takes it, or the supporter spent the points meanwhile,
    the pledge is cancelled and the card money refunded. Expired: the pledge lapses."""
    session = event["data"]["object"]
    try:
        pledge_id = int(session.get("metadata", {}).get("pledge_id", ""))
    except ValueError:
        return None
    pledge = Pledge.objects.filter(pk=pledge_id, payment_reference=session.get("id")).first()
    if pledge is None:
        return None
    if event["type"] == "checkout.session.completed" and session.get("payment_status") == "paid":
        Pledge.objects.filter(pk=pledge.pk, provider_payment_id="").update(
            provider_payment_id=session.get("payment_intent") or ""
        )
        pledge.refresh_from_db()
        try:
            return _pledge_pay(
                pledge, note=_("Paid by card."), statuses=(S.OPEN, S.FUNDED, S.MISSED_KEPT)
            )
        except (CampaignError, NotEnoughPoints) as refusal:
            return _cancel_and_refund_card(pledge, str(refusal.message))
    if event["type"] in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        with transaction.atomic():
            _cancel_awaiting(
                Pledge.objects.filter(pk=pledge.pk),
                _("The card payment did not go through; nothing was charged."),
            )
    pledge.refresh_from_db()
    return pledge


def _cancel_and_refund_card(pledge: Pledge, reason: str) -> Pledge:
    """Money arrived for a pledge that cannot stand: it is given back, nothing posted."""
    with transaction.atomic():
        locked = Pledge.objects.select_for_update().get(pk=pledge.pk)
        if locked.status == Pledge.Status.AWAITING_PAYMENT:
            locked.status = Pledge.Status.CANCELLED
            _release_points(locked)
        if locked.status == Pledge.Status.CANCELLED and locked.money_returned_at is None:
            locked.status_note = _("%(reason)s Your card payment is being refunded.") % {
                "reason": reason
            }
            locked.save(update_fields=["status", "status_note", "updated_at"])
            events.publish("loyalty.pledge_card_refund_due", pledge=locked)
        return locked


def pledge_refund_money(*, pledge: Pledge) -> Pledge:
    """Give a card pledge's money part back through Stripe (keyed by pledge: safe to
    repeat), then record it. For refunded or cancelled-after-payment pledges only."""

    pledge.refresh_from_db()
    if pledge.money_returned_at or pledge.payment_method != Pledge.PaymentMethod.CARD:
        return pledge
    if pledge.status not in (Pledge.Status.REFUNDED, Pledge.Status.CANCELLED):
        return pledge
    if not pledge.provider_payment_id:
        return pledge  # never charged
    stripe_card.stripe_client().v1.refunds.create(
        params={
            "payment_intent": pledge.provider_payment_id,
            "amount": cents_of(pledge.money_part),
        },
        options={"idempotency_key": f"refund-pledge-{pledge.pk}"},
    )
    Pledge.objects.filter(pk=pledge.pk, money_returned_at__isnull=True).update(
        money_returned_at=timezone.now()
    )
    pledge.refresh_from_db()
    return pledge


def pledge_money_handed_back(*, shop, pledge_id: int, actor) -> Pledge:
    """A shop member gave a refunded at-shop pledge's money back in cash at the counter."""
    with transaction.atomic():
        pledge = (
            Pledge.objects.select_for_update()
            .filter(
                pk=pledge_id,
                campaign__shop=shop,
                status=Pledge.Status.REFUNDED,
                payment_method=Pledge.PaymentMethod.AT_SHOP,
            )
            .first()
        )
        if pledge is None:
            raise CampaignError(_("No refund to hand back here has this number."))
        if pledge.money_returned_at is None:
            pledge.money_returned_at = timezone.now()
            pledge.save(update_fields=["money_returned_at", "updated_at"])
        return pledge


# Redemption at the counter -------------------------------------------------------------------
@transaction.atomic
def presale_redeem(
    *, shop, user, campaign_id: int, amount_cents: int, key: str, actor
) -> LedgerTransaction:
    """Redeem part of a supporter's presale value at the shop's counter. The same key
    (one counter form) posts once, even submitted twice. Raises CampaignError for a bad
    amount or another shop's campaign, RedemptionNotOpen outside the redemption period,
    NotEnoughValue beyond what remains (checked under the account's row lock)."""
    if not key:
        raise CampaignError(_("The form has expired; look the card up again."))
    done = LedgerTransaction.objects.filter(idempotency_key=f"presale-redeem-{key}").first()
    if done is not None:
        return done
    if amount_cents is None or amount_cents <= 0:
        raise CampaignError(_("Enter an amount above zero."))
    campaign = Campaign.objects.filter(pk=campaign_id, shop=shop).first()
    if campaign is None:
        raise CampaignError(_("This supporter holds no presale value of this campaign here."))
    today = timezone.localdate()
    if campaign.status != S.REDEEMING or not (
        campaign.redemption_opens_on <= today <= campaign.redemption_ends_on
    ):
        if campaign.status in (S.FUNDED, S.MISSED_KEPT) or today < campaign.redemption_opens_on:
            raise RedemptionNotOpen(
                _("Redemption opens on %(date)s.")
                % {"date": formats.date_format(campaign.redemption_opens_on)}
            )
        raise RedemptionNotOpen(_("This campaign's value can no longer be redeemed."))
    holding = Account.objects.filter(
        kind=Account.Kind.SUPPORTER_PRESALE, user=user, campaign=campaign
    ).first()
    if holding is None:
        raise CampaignError(_("This supporter holds no presale value of this campaign here."))
    record, posted = ledger_post_or_get(
        key=f"presale-redeem-{key}",
        kind=LedgerTransaction.Kind.PRESALE_REDEEM,
        legs=[(holding, -amount_cents), (presale_liability(campaign), amount_cents)],
        memo=_("Redeemed at %(shop)s: %(campaign)s")
        % {"shop": shop.name, "campaign": campaign.title},
        shop=shop,
        actor=actor,
    )
    if actor is not None and posted:
        card_use_announce(record=record)
    return record


# Reminders -----------------------------------------------------------------------------------
def presale_reminders_due(*, today=None) -> int:
    """Before redemption ends, supporters who still hold value are reminded once: each
    supporter's pledges of the campaign are marked reminded in the transaction that
    publishes the reminder, so the email is sent after commit however a worker fares, and
    the next night's run skips them. Returns how many reminders were published."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=settings.PRESALE_REMINDER_DAYS)
    holdings = Account.objects.filter(
        kind=Account.Kind.SUPPORTER_PRESALE,
        balance__gt=0,
        campaign__status=S.REDEEMING,
        campaign__redemption_ends_on__lte=horizon,
        campaign__redemption_ends_on__gte=today,
    ).values_list("campaign_id", "user_id")
    reminded = 0
    for campaign_id, user_id in holdings:
        with transaction.atomic():
            unreminded = Pledge.objects.filter(
                campaign_id=campaign_id,
                supporter_id=user_id,
                status=Pledge.Status.PAID,
                reminder_sent_at__isnull=True,
            )
            first = unreminded.order_by("pk").first()
            # Conditional update: of two overlapping runs, one marks and publishes.
            if first is None or not unreminded.update(reminder_sent_at=timezone.now()):
                continue
            events.publish("loyalty.presale_reminder_due", pledge=first)
            reminded += 1
    return reminded
