"""Community points: earned on completed orders and at the counter, taken back on refunds,
spent anywhere in the network (at checkout, at a counter, on special offers). Every movement
goes through ledger_post; 1 point is worth 1 cent of the node's currency."""

import datetime
import secrets
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace import events

from ..exceptions import CardNotFound, LedgerRefused
from ..models import Account, Entry, LedgerTransaction, Level, Offer, OfferClaim, SupporterCard
from .ledger import (
    account_for_shop,
    account_for_supporter,
    ledger_post,
    ledger_post_or_get,
    lock_accounts,
)

# Used when a node has no levels at all.
DEFAULT_RATE = Decimal("2.00")


# Cards ------------------------------------------------------------------------------------
def _luhn_digit(digits: str) -> str:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 0:
            n *= 2
            n = n - 9 if n > 9 else n
        total += n
    return str((10 - total % 10) % 10)


def card_number_is_valid(number: str) -> bool:
    return len(number) == 12 and number.isdigit() and _luhn_digit(number[:-1]) == number[-1]


def normalise_card_number(raw: str) -> str:
    """What people type or scan: spaces, dashes, or the whole /card/<number>/ address."""
    raw = (raw or "").strip().rstrip("/")
    raw = raw.rsplit("/", 1)[-1]
    return "".join(ch for ch in raw if ch.isdigit())


def card_for(user) -> SupporterCard:
    """The supporter's card, made on first use with a fresh number."""
    card = SupporterCard.objects.filter(user=user).select_related("level").first()
    if card:
        return card
    for _attempt in range(5):
        body = "".join(secrets.choice("0123456789") for _ in range(11))
        try:
            with transaction.atomic():
                card = SupporterCard.objects.create(
                    user=user, number=body + _luhn_digit(body), level=level_for_points(0)
                )
                return card
        except IntegrityError:
            existing = SupporterCard.objects.filter(user=user).first()
            if existing:
                return existing
    raise RuntimeError("could not find a free card number")


def card_by_number(raw: str) -> SupporterCard:
    """Raises CardNotFound for a mistyped or unknown number."""
    number = normalise_card_number(raw)
    if not card_number_is_valid(number):
        raise CardNotFound()
    card = SupporterCard.objects.filter(number=number).select_related("user", "level").first()
    if card is None:
        raise CardNotFound()
    return card


# Levels -----------------------------------------------------------------------------------
def points_earned_in_year(user, now=None) -> int:
    since = (now or timezone.now()) - datetime.timedelta(days=365)
    return (
        Entry.objects.filter(
            account__kind=Account.Kind.SUPPORTER_POINTS,
            account__user=user,
            transaction__kind__in=[LedgerTransaction.Kind.EARN, LedgerTransaction.Kind.REVERSAL],
            transaction__created_at__gte=since,
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def level_for_points(earned: int) -> Level | None:
    return Level.objects.filter(threshold__lte=earned).order_by("-threshold").first()


def level_of(user) -> Level | None:
    return level_for_points(points_earned_in_year(user))


def level_recalculate(*, user, now=None) -> Level | None:
    """Store the supporter's level from the points earned in the last twelve months; levels
    fall as well as rise. Runs in the caller's transaction when there is one (an earning
    moves the level together with the points); the card's row is locked before the points
    are summed, so two earnings at once never store a level that misses one of them."""
    card = card_for(user)
    with transaction.atomic():
        SupporterCard.objects.select_for_update().filter(pk=card.pk).first()
        level = level_for_points(points_earned_in_year(user, now))
        SupporterCard.objects.filter(pk=card.pk).update(
            level=level, level_checked_at=now or timezone.now()
        )
    return level


def rate_of(level: Level | None) -> Decimal:
    """Points per euro at a level; a node without any levels earns DEFAULT_RATE."""
    if level is not None:
        return level.rate_percent
    return DEFAULT_RATE if not Level.objects.exists() else Decimal("0")


def earning_rate(user) -> Decimal:
    return rate_of(level_of(user))


def points_for(amount: Money, rate: Decimal) -> int:
    """Points for spending `amount` at `rate` percent (1 point = 1 cent), rounded down."""
    return int((amount.amount * rate).to_integral_value(ROUND_DOWN))


# Earning and taking back ------------------------------------------------------------------
def points_award_for_order(*, order) -> LedgerTransaction | None:
    """The customer earns a share of the goods' value (not the delivery fee, and not what
    they paid with points) when the order is collected or delivered. Idempotent per order."""
    customer = order.purchase.customer
    if customer is None:
        return None
    paid_goods = order.subtotal - order.points_discount
    points = points_for(paid_goods, earning_rate(customer))
    if points <= 0:
        return None
    record = ledger_post(
        key=f"earn-order-{order.pk}",
        kind=LedgerTransaction.Kind.EARN,
        legs=[(account_for_supporter(customer), points), (account_for_shop(order.shop), -points)],
        memo=_("Order %(number)s") % {"number": order.number},
        shop=order.shop,
        order=order,
    )
    # In the earning's transaction: the level is one sum and one row, it shows together
    # with the points, and nothing can fail after the commit.
    level_recalculate(user=customer)
    return record


def points_reverse_for_order(*, order) -> LedgerTransaction | None:
    """A refunded order takes its earned points back, as far as the supporter still has
    them (points already spent stay spent: the refund is the shop's loss, not a debt)."""
    earned = LedgerTransaction.objects.filter(idempotency_key=f"earn-order-{order.pk}").first()
    if earned is None:
        return None
    customer = order.purchase.customer
    supporter, shop = account_for_supporter(customer), account_for_shop(order.shop)
    points = earned.entries.get(account=supporter).amount
    with transaction.atomic():
        points = min(points, lock_accounts(supporter, shop)[supporter.pk].balance)
        if points <= 0:
            return None
        return ledger_post(
            key=f"reverse-order-{order.pk}",
            kind=LedgerTransaction.Kind.REVERSAL,
            legs=[(supporter, -points), (shop, points)],
            memo=_("Refund of order %(number)s") % {"number": order.number},
            shop=order.shop,
            order=order,
        )


# Spending ---------------------------------------------------------------------------------
def max_discount_points(subtotal: Money) -> int:
    """How many points one order may take, as the node set it (a share of the goods)."""
    share = Decimal(str(settings.LOYALTY_MAX_DISCOUNT_PERCENT))
    return int((subtotal.amount * share).to_integral_value(ROUND_DOWN))


def points_spend_on_order(*, order, user, points: int) -> LedgerTransaction:
    """Points as a discount on one order at checkout; runs inside checkout's transaction,
    so a refusal (not enough points) leaves no order behind."""
    return ledger_post(
        key=f"spend-order-{order.pk}",
        kind=LedgerTransaction.Kind.REDEEM,
        legs=[(account_for_supporter(user), -points), (account_for_shop(order.shop), points)],
        memo=_("Discount on order %(number)s") % {"number": order.number},
        shop=order.shop,
        order=order,
    )


def points_return_for_order(*, order) -> LedgerTransaction | None:
    """Points spent on an order that was rejected, cancelled or refunded come back."""
    if not order.points_redeemed or order.purchase.customer is None:
        return None
    return ledger_post(
        key=f"return-order-{order.pk}",
        kind=LedgerTransaction.Kind.RETURN,
        legs=[
            (account_for_supporter(order.purchase.customer), order.points_redeemed),
            (account_for_shop(order.shop), -order.points_redeemed),
        ],
        memo=_("Order %(number)s not completed") % {"number": order.number},
        shop=order.shop,
        order=order,
    )


def require_member_shop(shop) -> None:
    """Only shops the members have admitted (and not suspended) give or take points: the
    network pays for every point."""
    if shop.status != "active":
        raise LedgerRefused(
            _(
                "Your shop can give and take community points once the members have "
                "admitted it to the cooperative."
            )
        )


@transaction.atomic
def points_redeem(*, user, shop, points: int, key: str, actor=None) -> LedgerTransaction:
    """Spend points at a shop's counter (a discount there); the shop is owed their value
    in the monthly settlement. The key makes a twice-submitted form count once, and the
    supporter hears of it once (card_use_announce)."""
    require_member_shop(shop)
    if points <= 0:
        raise LedgerRefused(_("Enter a positive number of points."))
    record, posted = ledger_post_or_get(
        key=key,
        kind=LedgerTransaction.Kind.REDEEM,
        legs=[(account_for_supporter(user), -points), (account_for_shop(shop), points)],
        memo=_("Spent at %(shop)s") % {"shop": shop.name},
        shop=shop,
        actor=actor,
    )
    if actor is not None and posted:
        card_use_announce(record=record)
    return record


def card_use_announce(*, record: LedgerTransaction) -> None:
    """Announce, in the counter's transaction, that a card took value off a bill: a card
    number alone is enough at a counter, so the owner hears of every use (by email, from
    the outbox after commit; a broker outage delays the email, never the counter)."""
    events.publish("loyalty.card_used", ledger_transaction=record)


def points_award_at_counter(*, card, shop, amount: Money, key: str, actor) -> LedgerTransaction:
    """Points for an in-store purchase of `amount`, at the supporter's level rate."""
    require_member_shop(shop)
    if amount.amount <= 0:
        raise LedgerRefused(_("Enter the amount of the purchase, more than zero."))
    if amount.amount > Decimal(str(settings.LOYALTY_MAX_COUNTER_PURCHASE)):
        raise LedgerRefused(
            _("That is more than one purchase at a counter can be (%(max)s). Check the amount.")
            % {"max": settings.LOYALTY_MAX_COUNTER_PURCHASE}
        )
    points = points_for(amount, earning_rate(card.user))
    if points <= 0:
        raise LedgerRefused(_("This purchase is too small to earn a point."))
    record = ledger_post(
        key=key,
        kind=LedgerTransaction.Kind.EARN,
        legs=[(account_for_supporter(card.user), points), (account_for_shop(shop), -points)],
        memo=_("Purchase of %(amount)s at the counter") % {"amount": amount},
        shop=shop,
        actor=actor,
    )
    level_recalculate(user=card.user)
    return record


# Special offers ---------------------------------------------------------------------------
def offer_save(*, shop, offer: Offer | None = None, **fields) -> Offer:
    require_member_shop(shop)
    offer = offer or Offer(shop=shop)
    for name, value in fields.items():
        setattr(offer, name, value)
    offer.shop = shop
    offer.save()
    return offer


def _new_claim_code() -> str:
    alphabet = "ACDEFGHJKMNPQRTUVWXY346789"
    return "".join(secrets.choice(alphabet) for _ in range(6))


@transaction.atomic
def offer_claim(*, offer_id: int, user, key: str) -> OfferClaim:
    """Exchange points for a shop's special offer. The offer's stock is taken with a
    conditional update, so the last one goes to one supporter; a repeated form finds the
    first claim. Raises LedgerRefused when the offer is gone or points are short."""
    existing = OfferClaim.objects.filter(transaction__idempotency_key=key, user=user).first()
    if existing:
        return existing
    today = timezone.localdate()
    offer = (
        Offer.objects.select_related("shop")
        .filter(pk=offer_id, is_active=True, shop__status="active")
        .first()
    )
    if offer is None or (offer.valid_until and offer.valid_until < today):
        raise LedgerRefused(_("This offer has ended."))
    if offer.remaining is not None:
        taken = Offer.objects.filter(pk=offer.pk, remaining__gte=1).update(
            remaining=F("remaining") - 1
        )
        if not taken:
            raise LedgerRefused(_("This offer is sold out."))
    record = ledger_post(
        key=key,
        kind=LedgerTransaction.Kind.OFFER,
        legs=[
            (account_for_supporter(user), -offer.points_cost),
            (account_for_shop(offer.shop), offer.points_cost),
        ],
        memo=offer.title,
        shop=offer.shop,
    )
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return OfferClaim.objects.create(
                    offer=offer, user=user, code=_new_claim_code(), transaction=record
                )
        except IntegrityError:
            continue  # a code already given out: draw another
    raise LedgerRefused(_("Please try again."))


def offer_claim_use(*, shop, code: str) -> OfferClaim:
    """The shop hands over a claimed offer; each code works once, at its own shop."""
    code = (code or "").strip().upper()
    claim = OfferClaim.objects.filter(code=code, offer__shop=shop).select_related("offer").first()
    if claim is None:
        raise LedgerRefused(_("No offer of this shop has this code."))
    used = OfferClaim.objects.filter(pk=claim.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not used:
        raise LedgerRefused(_("This offer code was already used."))
    claim.refresh_from_db()
    return claim


# Checks -----------------------------------------------------------------------------------
def trial_balance() -> dict:
    """What the nightly check looks at: entries sum to zero within each unit, every
    transaction balances, and cached balances equal the sums of their entries."""
    sums = {
        row["account__kind"]: row["total"]
        for row in Entry.objects.values("account__kind").annotate(total=Sum("amount"))
    }
    points_total = sum(v for k, v in sums.items() if k in Account.POINTS_KINDS)
    value_total = sum(v for k, v in sums.items() if k not in Account.POINTS_KINDS)
    # Compared in the database: only drifted accounts come back, however many there are.
    drift = list(
        Account.objects.annotate(sum=Coalesce(Sum("entries__amount"), 0))
        .exclude(sum=F("balance"))
        .values_list("pk", flat=True)
    )
    unbalanced = list(
        LedgerTransaction.objects.annotate(total=Sum("entries__amount"))
        .exclude(total=0)
        .values_list("pk", flat=True)[:20]
    )
    return {
        "balanced": points_total == 0 and value_total == 0 and not drift and not unbalanced,
        "points_total": points_total,
        "value_total": value_total,
        "drifted_accounts": drift,
        "unbalanced_transactions": unbalanced,
    }
