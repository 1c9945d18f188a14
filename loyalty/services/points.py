"""Community points: earned on completed orders, taken back on refunds, spent anywhere in
the network. Every movement goes through ledger_post."""

import datetime
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import LedgerRefused
from ..models import Account, Entry, LedgerTransaction, Level
from .ledger import account_for_shop, account_for_supporter, ledger_post

DEFAULT_RATE = Decimal("2.00")


def points_earned_in_year(user, now=None) -> int:
    since = (now or timezone.now()) - datetime.timedelta(days=365)
    return (
        Entry.objects.filter(
            account__kind=Account.Kind.SUPPORTER_POINTS,
            account__user=user,
            transaction__kind=LedgerTransaction.Kind.EARN,
            transaction__created_at__gte=since,
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def level_of(user) -> Level | None:
    earned = points_earned_in_year(user)
    return Level.objects.filter(threshold__lte=earned).order_by("-threshold").first()


def points_award_for_order(*, order) -> LedgerTransaction | None:
    """The customer earns a share of the goods' value (not the delivery fee) as points when
    the order is collected or delivered; the shop's points account carries the value."""
    customer = order.purchase.customer
    if customer is None:
        return None
    level = level_of(customer)
    rate = level.rate_percent if level else DEFAULT_RATE
    points = int((order.subtotal.amount * 100 * rate / 100).to_integral_value(ROUND_DOWN))
    if points <= 0:
        return None
    return ledger_post(
        key=f"earn-order-{order.pk}",
        kind=LedgerTransaction.Kind.EARN,
        legs=[(account_for_supporter(customer), points), (account_for_shop(order.shop), -points)],
        memo=_("Order %(number)s") % {"number": order.number},
        shop=order.shop,
        order=order,
    )


def points_reverse_for_order(*, order) -> LedgerTransaction | None:
    """A refunded order takes its points back, as far as the supporter still has them."""
    earned = LedgerTransaction.objects.filter(idempotency_key=f"earn-order-{order.pk}").first()
    if earned is None:
        return None
    customer = order.purchase.customer
    supporter = account_for_supporter(customer)
    points = earned.entries.get(account=supporter).amount
    with transaction.atomic():
        held = Account.objects.select_for_update().get(pk=supporter.pk).balance
        points = min(points, held)
        if points <= 0:
            return None
        return ledger_post(
            key=f"reverse-order-{order.pk}",
            kind=LedgerTransaction.Kind.REVERSAL,
            legs=[(supporter, -points), (account_for_shop(order.shop), points)],
            memo=_("Refund of order %(number)s") % {"number": order.number},
            shop=order.shop,
            order=order,
        )


def points_redeem(*, user, shop, points: int, key: str) -> LedgerTransaction:
    """Spend points at a shop (a discount there); the shop receives their value."""
    if points <= 0:
        raise LedgerRefused(_("Enter a positive number of points."))
    return ledger_post(
        key=key,
        kind=LedgerTransaction.Kind.REDEEM,
        legs=[(account_for_supporter(user), -points), (account_for_shop(shop), points)],
        memo=_("Spent at %(shop)s") % {"shop": shop.name},
        shop=shop,
    )


def trial_balance() -> dict:
    """What the nightly check looks at: entries sum to zero, and cached balances equal the
    sums of their entries."""
    total = Entry.objects.aggregate(total=Sum("amount"))["total"] or 0
    drift = [
        account.pk
        for account in Account.objects.annotate(sum=Sum("entries__amount"))
        if (account.sum or 0) != account.balance
    ]
    return {"balanced": total == 0 and not drift, "total": total, "drifted_accounts": drift}
