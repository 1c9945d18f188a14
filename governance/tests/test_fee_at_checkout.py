"""A fee the members accept today with an effective date of tomorrow: today's orders keep
the old fee, tomorrow's carry the new one, and each order names the vote behind its fee."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from djmoney.money import Money

from governance import services
from orders.services import ShopChoice, checkout_place
from orders.tests.factories import cart_with, first_slot, open_shop, pickup_request
from shops.tests.factories import ProductFactory

from .factories import member_shops

pytestmark = pytest.mark.django_db


def place(shop, product, now):
    cart = cart_with([(product, "2")])
    request = pickup_request(
        [shop],
        choices={shop.pk: ShopChoice(fulfilment="pickup", pickup_from=first_slot(shop, now))},
    )
    return checkout_place(cart=cart, customer=cart.user, request=request, now=now).orders.get()


def test_a_fee_accepted_today_for_tomorrow_leaves_todays_orders_alone(settings):
    settings.PLATFORM_FEE_PERCENT = "5.00"
    settings.GOVERNANCE_VOTING_DAYS = 14
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate(now)
    tomorrow = today + datetime.timedelta(days=1)
    voters = member_shops(3)
    member, owner = voters[0]
    proposal = services.proposal_create(
        user=owner,
        member_id=member.pk,
        kind="fee",
        title="Four percent",
        rationale="Costs went down.",
        fee_percent="4.00",
        effective_on=tomorrow,
        now=now - datetime.timedelta(days=14, minutes=5),  # voting ends five minutes ago
    )
    for m, o in voters:
        services.vote_cast(
            proposal_id=proposal.pk,
            user=o,
            member_id=m.pk,
            choice="yes",
            now=now - datetime.timedelta(days=1),
        )
    services.proposals_close_due(now=now)
    proposal.refresh_from_db()
    assert proposal.status == "accepted"

    shop = open_shop()
    product = ProductFactory(shop=shop, price=Money("10.00", "EUR"), stock_quantity=10)
    today_order = place(shop, product, now)
    tomorrow_noon = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time(12)))
    tomorrow_order = place(shop, product, tomorrow_noon)

    assert today_order.platform_fee_percent == Decimal("5.00")
    assert today_order.platform_fee == Money("1.00", "EUR")
    assert today_order.fee_decision is None
    assert tomorrow_order.platform_fee_percent == Decimal("4.00")
    assert tomorrow_order.platform_fee == Money("0.80", "EUR")
    assert tomorrow_order.fee_decision == proposal
    assert list(proposal.orders.all()) == [tomorrow_order]
