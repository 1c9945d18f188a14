"""Reads for presale campaigns, and the permission-checked fetchers: the public sees
published campaigns, supporters their own pledges, shops their own campaigns (the same 404
for missing and not yours)."""

import datetime

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone
from djmoney.money import Money

from marketplace.money import money_from_cents
from shops.selectors import products_of_shop

from ..models import Account, Campaign, Entry, LedgerTransaction, Pledge
from .services import HONOURED

S = Campaign.Status
PUBLIC = [S.OPEN, S.FUNDED, S.MISSED_KEPT, S.MISSED_REFUNDED, S.REDEEMING, S.ENDED, S.CANCELLED]


def _with_supporters(queryset: QuerySet[Campaign]) -> QuerySet[Campaign]:
    return queryset.select_related("shop").annotate(
        supporters=Count(
            "pledges__supporter", filter=Q(pledges__status=Pledge.Status.PAID), distinct=True
        )
    )


# The public side -----------------------------------------------------------------------------
def campaigns_open() -> QuerySet[Campaign]:
    """Campaigns taking pledges now, closing soonest first."""
    return _with_supporters(
        Campaign.objects.filter(status=S.OPEN, deadline__gt=timezone.now())
    ).order_by("deadline", "pk")


def campaigns_redeeming() -> QuerySet[Campaign]:
    return _with_supporters(Campaign.objects.filter(status=S.REDEEMING)).order_by(
        "redemption_ends_on", "pk"
    )


def campaigns_on_shop_page(*, shop) -> QuerySet[Campaign]:
    """What a shop's public page shows: campaigns taking pledges or being redeemed."""
    return Campaign.objects.filter(shop=shop, status__in=[S.OPEN, S.REDEEMING]).order_by(
        "deadline", "pk"
    )[:3]


def campaign_public(*, campaign_id: int) -> Campaign:
    """A published campaign; drafts are the shop's own business (404)."""
    campaign = _with_supporters(Campaign.objects.filter(pk=campaign_id, status__in=PUBLIC)).first()
    if campaign is None:
        raise Http404("No such campaign")
    return campaign


def reward_products(*, campaign: Campaign) -> list:
    """The products a campaign pays back in, as product cards show them (active ones)."""

    ids = campaign.products.values_list("pk", flat=True)
    return list(products_of_shop(shop=campaign.shop).filter(pk__in=ids)[:24])


def holding_of(*, user, campaign: Campaign) -> int:
    """Presale value (cents) the user holds in the campaign; 0 for anyone else."""
    if not user.is_authenticated:
        return 0
    account = Account.objects.filter(
        kind=Account.Kind.SUPPORTER_PRESALE, user=user, campaign=campaign
    ).first()
    return account.balance if account else 0


def pledges_of_supporter(*, user) -> QuerySet[Pledge]:
    return Pledge.objects.filter(supporter=user).select_related("campaign__shop")


def pledge_of_supporter(*, user, pledge_id: int) -> Pledge:
    pledge = (
        pledges_of_supporter(user=user).filter(pk=pledge_id).first()
        if user.is_authenticated
        else None
    )
    if pledge is None:
        raise Http404("No such pledge")
    return pledge


def presale_holdings(*, user) -> QuerySet[Account]:
    """The supporter's presale value per campaign, what is left to redeem and until when."""
    return (
        Account.objects.filter(kind=Account.Kind.SUPPORTER_PRESALE, user=user)
        .filter(Q(balance__gt=0) | Q(campaign__status=S.REDEEMING))
        .select_related("campaign__shop")
        .order_by("campaign__redemption_ends_on", "pk")
    )


# The counter --------------------------------------------------------------------------------
def presale_holdings_at_shop(*, user, shop) -> list[dict]:
    """What the supporter holds in this shop's campaigns: the remaining value per campaign
    (always shown), and whether it can be redeemed today (and if not, from when)."""
    today = timezone.localdate()
    accounts = (
        Account.objects.filter(
            kind=Account.Kind.SUPPORTER_PRESALE,
            user=user,
            campaign__shop=shop,
            campaign__status__in=HONOURED,
        )
        .select_related("campaign")
        .order_by("campaign__redemption_ends_on", "pk")
    )
    holdings = []
    for account in accounts:
        campaign = account.campaign
        redeemable = (
            campaign.status == S.REDEEMING
            and campaign.redemption_opens_on <= today <= campaign.redemption_ends_on
            and account.balance > 0
        )
        holdings.append(
            {
                "campaign": campaign,
                "remaining": account.balance,
                "remaining_money": money_from_cents(account.balance),
                "redeemable": redeemable,
                "not_yet": campaign.status in (S.FUNDED, S.MISSED_KEPT),
            }
        )
    return holdings


def pledges_awaiting_at_shop(*, user, shop) -> QuerySet[Pledge]:
    return (
        Pledge.objects.filter(
            supporter=user,
            campaign__shop=shop,
            campaign__status=S.OPEN,
            status=Pledge.Status.AWAITING_PAYMENT,
            payment_method=Pledge.PaymentMethod.AT_SHOP,
        )
        .select_related("campaign")
        .order_by("pk")
    )


def refunds_to_hand_back(*, user, shop) -> QuerySet[Pledge]:
    return (
        Pledge.objects.filter(
            supporter=user,
            campaign__shop=shop,
            status=Pledge.Status.REFUNDED,
            payment_method=Pledge.PaymentMethod.AT_SHOP,
            money_returned_at__isnull=True,
        )
        .select_related("campaign")
        .order_by("pk")
    )


# The shop's side -----------------------------------------------------------------------------
def campaigns_of_shop(*, shop) -> QuerySet[Campaign]:
    return _with_supporters(Campaign.objects.filter(shop=shop)).order_by("-created_at", "-pk")


def campaign_for_shop(*, shop, campaign_id: int) -> Campaign:
    campaign = _with_supporters(Campaign.objects.filter(pk=campaign_id, shop=shop)).first()
    if campaign is None:
        raise Http404("No such campaign")
    return campaign


def pledges_of_campaign(*, campaign: Campaign) -> QuerySet[Pledge]:
    return Pledge.objects.filter(campaign=campaign).select_related("supporter")


def campaign_figures(*, campaign: Campaign) -> dict:
    """What the shop owes and has paid back: outstanding value, redeemed so far, pledges
    waiting for money."""
    liability = Account.objects.filter(kind=Account.Kind.SHOP_PRESALE, campaign=campaign).first()
    redeemed = 0
    if liability is not None:
        redeemed = (
            Entry.objects.filter(
                account=liability, transaction__kind=LedgerTransaction.Kind.PRESALE_REDEEM
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
    waiting = Pledge.objects.filter(
        campaign=campaign, status=Pledge.Status.AWAITING_PAYMENT
    ).aggregate(count=Count("pk"), total=Sum("amount"))
    return {
        "outstanding": money_from_cents(-liability.balance if liability else 0),
        "redeemed": money_from_cents(redeemed),
        "waiting_count": waiting["count"],
        "waiting_total": Money(waiting["total"] or 0, settings.DEFAULT_CURRENCY),
    }


def pledges_by_day(*, campaign: Campaign, days: int = 30) -> list[tuple[datetime.date, object]]:
    """Money pledged (paid) per day over the campaign's last `days` days, for a chart."""
    last = min(timezone.localdate(), timezone.localdate(campaign.deadline))
    first = max(timezone.localdate(campaign.created_at), last - datetime.timedelta(days=days - 1))
    rows = dict(
        Pledge.objects.filter(campaign=campaign, paid_at__isnull=False)
        .annotate(day=TruncDate("paid_at"))
        .filter(day__gte=first, day__lte=last)
        .values_list("day")
        .annotate(total=Sum("amount"))
        .values_list("day", "total")
    )
    span = (last - first).days + 1
    return [
        (day, rows.get(day, 0))
        for day in (first + datetime.timedelta(days=n) for n in range(max(span, 1)))
    ]
