"""Reads of the loyalty programme: wallets, movements, offers, settlements."""

import datetime

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from djmoney.money import Money

from marketplace.money import money_from_cents

from .models import Account, Entry, LedgerTransaction, Level, Offer, OfferClaim, SettlementLine
from .services.points import (
    earning_rate,
    level_for_points,
    max_discount_points,
    points_earned_in_year,
    rate_of,
)
from .services.settlement import month_start, settlement_figures


def points_balance(*, user) -> int:
    account = Account.objects.filter(kind=Account.Kind.SUPPORTER_POINTS, user=user).first()
    return account.balance if account else 0


def points_usable_on(*, user, subtotals) -> tuple[int, int]:
    """(points held, points usable) for a cart whose shops' goods come to `subtotals`: each
    shop's goods may be paid up to the node's share with points."""
    held = points_balance(user=user)
    cap = sum(
        max_discount_points(
            amount if isinstance(amount, Money) else Money(amount, settings.DEFAULT_CURRENCY)
        )
        for amount in subtotals
    )
    return held, min(held, cap)


def wallet(*, user, card) -> dict:
    """What the wallet page shows at the top: balance, level, and the way to the next."""
    earned = points_earned_in_year(user)
    level = level_for_points(earned)
    following = Level.objects.filter(threshold__gt=earned).order_by("threshold").first()
    balance = points_balance(user=user)
    span_start = level.threshold if level else 0
    progress = 100
    if following:
        progress = int(100 * (earned - span_start) / max(following.threshold - span_start, 1))
    return {
        "card": card,
        "balance": balance,
        "balance_value": money_from_cents(balance),
        "level": level,
        "rate": rate_of(level),
        "next_level": following,
        "to_next": (following.threshold - earned) if following else 0,
        "earned_year": earned,
        "progress_pct": max(0, min(progress, 100)),
    }


def movements(*, user) -> QuerySet[Entry]:
    """Every movement of the supporter's points, newest first."""
    return (
        Entry.objects.filter(account__kind=Account.Kind.SUPPORTER_POINTS, account__user=user)
        .select_related("transaction__shop")
        .order_by("-transaction__created_at", "-pk")
    )


def open_offers(*, today: datetime.date | None = None) -> QuerySet[Offer]:
    today = today or timezone.localdate()
    return (
        Offer.objects.filter(is_active=True, shop__status="active")
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .exclude(remaining=0)
        .select_related("shop")
        .order_by("points_cost", "pk")
    )


def claims_of(*, user) -> QuerySet[OfferClaim]:
    return OfferClaim.objects.filter(user=user).select_related("offer__shop")


def offers_of_shop(*, shop) -> QuerySet[Offer]:
    return Offer.objects.filter(shop=shop).order_by("-is_active", "points_cost", "pk")


def counter_view_of(*, card) -> dict:
    """What a shop member sees after scanning a card: enough to serve, nothing more (first
    name, level, points; no email, no history)."""
    user = card.user
    return {
        "card": card,
        "card_user": user,
        "first_name": user.get_short_name(),
        "balance": points_balance(user=user),
        "rate": earning_rate(user),
        "level": card.level,
    }


def shop_settlement(*, shop) -> dict:
    """A shop's monthly statements, and the running month so far."""
    lines = (
        SettlementLine.objects.filter(shop=shop)
        .select_related("settlement")
        .order_by("-settlement__month")
    )
    this_month = month_start(timezone.localdate())
    running = settlement_figures(this_month).get(shop.pk, {"issued": 0, "redeemed": 0, "net": 0})
    return {"lines": lines, "running": running, "this_month": this_month}


def transparency_figures() -> dict:
    """For the public transparency page: the value moved between shops each month by
    settlement (the sum of what shops were owed), and points that expired each month."""
    settlements = (
        SettlementLine.objects.filter(net__gt=0)
        .values("settlement__month")
        .annotate(total=Sum("net"))
        .order_by("-settlement__month")
    )
    expired = (
        Entry.objects.filter(
            account__kind=Account.Kind.EXPIRED,
            transaction__kind=LedgerTransaction.Kind.EXPIRY,
        )
        .annotate(month=TruncMonth("transaction__created_at"))
        .values("month")
        .annotate(points=Sum("amount"))
        .order_by("-month")
    )
    return {
        "settlements": [
            {"month": row["settlement__month"], "value": money_from_cents(row["total"])}
            for row in settlements
        ],
        "expired": [
            {
                "month": row["month"].date() if hasattr(row["month"], "date") else row["month"],
                "points": row["points"],
            }
            for row in expired
        ],
        "points_outstanding": (
            Account.objects.filter(kind=Account.Kind.SUPPORTER_POINTS).aggregate(
                total=Sum("balance")
            )["total"]
            or 0
        ),
    }
