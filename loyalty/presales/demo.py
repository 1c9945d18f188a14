"""The demo town's presales: an open campaign at the bakery with a few pledges (one still to
be paid at the shop), and a funded campaign at the grocer in its redemption period, where
customer@ holds value to redeem at the counter. Idempotent: a campaign's shop and title say
it was loaded before; dates are relative to today. Built through the services, so the ledger
holds every pledge."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from shops.models import ShopMembership

from ..models import Campaign, CampaignEvent, Pledge
from ..services import card_for
from . import services as presales

OVEN = "A second sourdough oven"
COLD_ROOM = "A cold room for local vegetables"


def _euros(value: str) -> Money:
    from django.conf import settings

    return Money(value, settings.DEFAULT_CURRENCY)


def _open_campaign(shop, title: str, **terms) -> Campaign:
    campaign = Campaign.objects.create(shop=shop, title=title, status=Campaign.Status.OPEN, **terms)
    CampaignEvent.objects.create(campaign=campaign, to_status=Campaign.Status.OPEN)
    return campaign


def _pledge(campaign, supporter, amount: str, key: str, *, paid_by=None, paid=True) -> Pledge:
    pledge = presales.pledge_create(
        campaign=campaign,
        supporter=supporter,
        amount=_euros(amount),
        payment_method=Pledge.PaymentMethod.AT_SHOP,
        token=f"demo-{key}",
    )
    if paid and pledge.status == Pledge.Status.AWAITING_PAYMENT:
        pledge = presales.pledge_confirm_paid_at_shop(
            shop=campaign.shop, pledge_id=pledge.pk, actor=paid_by
        )
    return pledge


@transaction.atomic
def load_presale_demo(*, shops, domain: str) -> None:
    User = get_user_model()
    customer = User.objects.filter(email=f"customer@{domain}").first()
    if customer is None or len(shops) < 6:
        return
    bakery, grocer = shops[0], shops[1]
    owners = {
        m.shop_id: m.user
        for m in ShopMembership.objects.filter(role="owner", shop__in=shops).select_related("user")
    }
    supporters = [owners[s.pk] for s in shops[2:6] if s.pk in owners]
    now, today = timezone.now(), timezone.localdate()

    if not Campaign.objects.filter(shop=bakery, title=OVEN).exists():
        oven = _open_campaign(
            bakery,
            OVEN,
            purpose=(
                "Our oven bakes 120 loaves a morning and we sell out by ten. A second, "
                "wood-fired oven doubles that and lets us bake rye on Sundays."
            ),
            target=_euros("3000"),
            min_pledge=_euros("10"),
            deadline=now + datetime.timedelta(days=21),
            reward=Campaign.Reward.STORE_CREDIT,
            reward_description="Bread, cakes and coffee of the value you pledged.",
            redemption_opens_on=today + datetime.timedelta(days=35),
            redemption_ends_on=today + datetime.timedelta(days=35 + 180),
            if_missed=Campaign.IfMissed.REFUND,
            accepts_points=True,
        )
        for n, (supporter, amount) in enumerate(
            zip(supporters, ["50", "120", "80", "25"], strict=False)
        ):
            _pledge(oven, supporter, amount, f"oven-{n}", paid_by=owners.get(bakery.pk))
        if supporters:
            _pledge(oven, supporters[0], "40", "oven-waiting", paid=False)

    if not Campaign.objects.filter(shop=grocer, title=COLD_ROOM).exists():
        cold_room = _open_campaign(
            grocer,
            COLD_ROOM,
            purpose=(
                "A cold room keeps the farms' vegetables fresh for a week, so we can buy whole "
                "harvests from the growers around Lindenfeld instead of the wholesaler."
            ),
            target=_euros("400"),
            min_pledge=_euros("20"),
            deadline=now + datetime.timedelta(days=1),
            reward=Campaign.Reward.SUBSCRIPTION,
            reward_description="A vegetable box every week, to the value you pledged.",
            redemption_opens_on=today - datetime.timedelta(days=20),
            redemption_ends_on=today + datetime.timedelta(days=150),
            if_missed=Campaign.IfMissed.KEEP,
            accepts_points=False,
        )
        grocer_owner = owners.get(grocer.pk)
        _pledge(cold_room, customer, "60", "cold-room-customer", paid_by=grocer_owner)
        for n, (supporter, amount) in enumerate(
            zip(supporters, ["150", "100", "80", "40"], strict=False)
        ):
            _pledge(cold_room, supporter, amount, f"cold-room-{n}", paid_by=grocer_owner)
        # The deadline passed a month ago; the campaign was funded and redemption is open.
        Campaign.objects.filter(pk=cold_room.pk).update(deadline=now - datetime.timedelta(days=30))
        presales.campaign_close(campaign=cold_room)
        presales.campaign_open_redemption(campaign=cold_room, today=today)
        card_for(customer)
        presales.presale_redeem(
            shop=grocer,
            user=customer,
            campaign_id=cold_room.pk,
            amount_cents=1500,
            key="demo-cold-room-first-box",
            actor=grocer_owner,
        )
