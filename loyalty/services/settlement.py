"""Month-end work on points: settlement between shops, and expiry of old points.

Settlement: a shop that issues points owes their value to the network's pool; a shop where
points are spent is owed their value. Once a month each shop's net for that month is moved
between its points account and the pool, so every shop's account returns to zero and the
pool holds exactly the value of the points supporters still have."""

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import events

from ..models import Account, Entry, LedgerTransaction, Settlement, SettlementLine, SupporterCard
from .ledger import account_for_supporter, ledger_post, lock_accounts, network_account

ISSUING = [LedgerTransaction.Kind.EARN, LedgerTransaction.Kind.REVERSAL]


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(month, datetime.time.min, tzinfo=tz)
    return start, start + relativedelta(months=1)


def settlement_figures(month: datetime.date) -> dict[int, dict]:
    """Per shop, for one month: value issued (points awarded), value redeemed there, and
    net (positive: the shop is owed; negative: it owes)."""
    start, end = _month_bounds(month)
    rows = (
        Entry.objects.filter(
            account__kind=Account.Kind.SHOP_POINTS,
            transaction__created_at__gte=start,
            transaction__created_at__lt=end,
        )
        .exclude(transaction__kind=LedgerTransaction.Kind.SETTLEMENT)
        .values("account__shop_id")
        .annotate(
            net=Sum("amount"),
            issued=Sum("amount", filter=Q(transaction__kind__in=ISSUING)),
        )
    )
    figures = {}
    for row in rows:
        issued = -(row["issued"] or 0)
        net = row["net"] or 0
        figures[row["account__shop_id"]] = {"issued": issued, "redeemed": net + issued, "net": net}
    return figures


@transaction.atomic
def settlement_run(*, month: datetime.date) -> Settlement:
    """Settle one finished month. Idempotent: a month is settled once (unique month and
    ledger key); a second run returns the first settlement."""
    month = month_start(month)
    if month >= month_start(timezone.localdate()):
        raise ValueError("only finished months are settled")
    existing = Settlement.objects.filter(month=month).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            settlement = Settlement.objects.create(month=month)
    except IntegrityError:
        return Settlement.objects.get(month=month)
    figures = settlement_figures(month)
    legs = []
    pool_change = 0
    for shop_id, figure in sorted(figures.items()):
        SettlementLine.objects.create(settlement=settlement, shop_id=shop_id, **figure)
        if figure["net"]:
            account = Account.objects.get(kind=Account.Kind.SHOP_POINTS, shop_id=shop_id)
            legs.append((account, -figure["net"]))
            pool_change += figure["net"]
    if legs:
        legs.append((network_account(), pool_change))
        settlement.transaction = ledger_post(
            key=f"settlement-{month:%Y-%m}",
            kind=LedgerTransaction.Kind.SETTLEMENT,
            legs=legs,
            memo=_("Settlement for %(month)s") % {"month": f"{month:%Y-%m}"},
        )
        settlement.save(update_fields=["transaction"])
    return settlement


def settlement_run_due(*, today: datetime.date | None = None) -> list[Settlement]:
    """Settle every finished month since points were first used that is not settled yet."""
    # A month is settled an hour after it ends, so writes stamped in its last moments have
    # committed before its figures are taken.
    today = today or timezone.localdate(timezone.now() - datetime.timedelta(hours=1))
    first = LedgerTransaction.objects.order_by("created_at").values_list("created_at", flat=True)
    first = first.first()
    if first is None:
        return []
    month = month_start(timezone.localtime(first).date())
    done = []
    while month < month_start(today):
        done.append(settlement_run(month=month))
        month += relativedelta(months=1)
    return done


# Expiry ------------------------------------------------------------------------------------
def _expiry_cutoff(now: datetime.datetime) -> datetime.datetime:
    return now - relativedelta(months=settings.LOYALTY_POINTS_EXPIRE_MONTHS)


def points_expiring(*, account: Account, at: datetime.datetime) -> int:
    """Points of this wallet that are expired at `at`, first in first out: points received
    before the cut-off that were not used since (spending, refunds and earlier expiry all
    use the oldest points first)."""
    cutoff = _expiry_cutoff(at)
    figures = Entry.objects.filter(account=account).aggregate(
        old_credits=Sum("amount", filter=Q(amount__gt=0, transaction__created_at__lt=cutoff)),
        debits=Sum("amount", filter=Q(amount__lt=0)),
    )
    return max(0, (figures["old_credits"] or 0) + (figures["debits"] or 0))


def points_expire(*, account: Account, now: datetime.datetime | None = None):
    """Move a wallet's expired points to the network's expired account (reported on the
    transparency page for the members to decide on). Idempotent per wallet and day."""
    now = now or timezone.now()
    expired = network_account(Account.Kind.EXPIRED)
    with transaction.atomic():
        lock_accounts(account, expired)
        points = points_expiring(account=account, at=now)
        if points <= 0:
            return None
        return ledger_post(
            key=f"expire-{account.pk}-{now:%Y-%m-%d}",
            kind=LedgerTransaction.Kind.EXPIRY,
            legs=[(account, -points), (expired, points)],
            memo=_("Points older than %(months)s months")
            % {"months": settings.LOYALTY_POINTS_EXPIRE_MONTHS},
        )


def wallets_to_check(*, now: datetime.datetime, ahead_days: int = 0):
    """Supporter wallets holding points old enough to expire by now + ahead_days."""
    cutoff = _expiry_cutoff(now + datetime.timedelta(days=ahead_days))
    return Account.objects.filter(
        kind=Account.Kind.SUPPORTER_POINTS,
        balance__gt=0,
        entries__amount__gt=0,
        entries__transaction__created_at__lt=cutoff,
    ).distinct()


@transaction.atomic
def expiry_reminder_publish(*, user, now: datetime.datetime | None = None) -> int:
    """Publish a reminder of the points that expire within the reminder window, if one is
    due now; returns the points, 0 when none is (nothing expiring, or reminded within the
    last 30 days). Marking the card and publishing share one transaction, so two workers
    never both remind, and a worker dying mid-send leaves the outbox to send it again."""
    now = now or timezone.now()
    ahead = datetime.timedelta(days=settings.LOYALTY_EXPIRY_REMINDER_DAYS)
    points = points_expiring(account=account_for_supporter(user), at=now + ahead)
    if points <= 0:
        return 0
    recent = now - datetime.timedelta(days=30)
    marked = (
        SupporterCard.objects.filter(user=user)
        .filter(Q(expiry_reminded_at__isnull=True) | Q(expiry_reminded_at__lt=recent))
        .update(expiry_reminded_at=now)
    )
    if not marked:
        return 0
    events.publish("loyalty.points_expiring", user=user, points=points)
    return points
