"""Campaigns and pledges for the presale tests, built through the services where it matters
(a paid pledge is always posted to the ledger)."""

import datetime
import itertools

from django.utils import timezone
from djmoney.money import Money

from loyalty import services
from loyalty.models import Campaign, CampaignEvent, LedgerTransaction
from loyalty.presales import services as presales
from marketplace.tests.factories import UserFactory
from shops.tests.factories import ShopFactory

_tokens = itertools.count(1)


def token() -> str:
    return f"test-token-{next(_tokens)}"


def eur(value) -> Money:
    return Money(value, "EUR")


def campaign(shop=None, *, status=Campaign.Status.OPEN, target="500.00", **fields) -> Campaign:
    now = timezone.now()
    today = timezone.localdate()
    values = {
        "title": "A new oven",
        "purpose": "Our old oven is failing; a new one bakes twice as much bread.",
        "target": eur(target),
        "min_pledge": eur("5.00"),
        "deadline": now + datetime.timedelta(days=10),
        "reward": Campaign.Reward.STORE_CREDIT,
        "reward_description": "Bread and cakes of the pledged value.",
        "redemption_opens_on": today + datetime.timedelta(days=20),
        "redemption_ends_on": today + datetime.timedelta(days=200),
        "if_missed": Campaign.IfMissed.REFUND,
        "accepts_points": True,
        **fields,
    }
    created = Campaign.objects.create(shop=shop or ShopFactory(), status=status, **values)
    CampaignEvent.objects.create(campaign=created, to_status=status)
    return created


def give_points(user, points: int, shop=None):
    services.ledger_post(
        key=f"test-give-{user.pk}-{token()}",
        kind=LedgerTransaction.Kind.EARN,
        legs=[
            (services.account_for_supporter(user), points),
            (services.account_for_shop(shop or ShopFactory()), -points),
        ],
    )


def paid_pledge(campaign_, supporter=None, amount="50.00", points=0, shop_member=None):
    """A pledge paid at the shop and confirmed at the counter (or with points only)."""
    supporter = supporter or UserFactory()
    if points:
        give_points(supporter, points)
    pledge = presales.pledge_create(
        campaign=campaign_,
        supporter=supporter,
        amount=eur(amount),
        points=points,
        payment_method="at_shop",
        token=token(),
    )
    if pledge.status == "awaiting_payment":
        pledge = presales.pledge_confirm_paid_at_shop(
            shop=campaign_.shop, pledge_id=pledge.pk, actor=shop_member
        )
    return pledge


def redeeming(campaign_):
    """Move an open campaign with enough pledges into its redemption period, today."""
    campaign_.refresh_from_db()
    return presales.campaign_open_redemption(campaign=campaign_)


def holding(user, campaign_) -> int:
    return services.presale_account_for_supporter(user, campaign_).balance
