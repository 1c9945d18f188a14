"""The points ledger: balanced, idempotent, never negative for supporters."""

import pytest
from django.urls import reverse
from djmoney.money import Money

from loyalty import services
from loyalty.exceptions import LedgerRefused, NotEnoughPoints
from loyalty.models import Entry, LedgerTransaction
from marketplace.tests.factories import UserFactory
from orders import services as order_services
from orders.tests.factories import cart_with, open_shop, pickup_request
from shops.tests.factories import ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


def collected_order(price="10.00", customer=None):
    shop = open_shop()
    cart = cart_with([(ProductFactory(shop=shop, price=Money(price, "EUR")), "1")], user=customer)
    purchase = order_services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([shop])
    )
    order = purchase.orders.get()
    for status in ("accepted", "ready"):
        order_services.order_transition(order=order, to_status=status)
    order_services.order_collect_with_code(order=order, code=order.pickup_code, actor=None)
    return order


def test_collecting_an_order_earns_points_and_a_refund_takes_them_back(client):
    order = collected_order("12.50")
    customer = order.purchase.customer
    wallet = services.account_for_supporter(customer)
    wallet.refresh_from_db()
    assert wallet.balance == 25  # 2 % of 12.50 € = 25 points (1 point = 1 cent)
    order_services.order_transition(order=order, to_status="refunded")
    wallet.refresh_from_db()
    assert wallet.balance == 0
    assert services.trial_balance()["balanced"]
    client.force_login(customer)
    page = client.get(reverse("loyalty:wallet"))
    assert [e.amount for e in page.context["page"]] == [-25, 25]


def test_the_level_raises_the_rate():
    customer = UserFactory()
    shop = ShopFactory()
    services.ledger_post(
        key="gift",
        kind="correction",
        legs=[
            (services.account_for_supporter(customer), 2500),
            (services.account_for_shop(shop), -2500),
        ],
    )
    LedgerTransaction.objects.filter(idempotency_key="gift").update(kind="earn")
    order = collected_order("10.00", customer=customer)
    assert services.level_of(customer).name == "Regular"
    earned = LedgerTransaction.objects.get(idempotency_key=f"earn-order-{order.pk}")
    assert earned.entries.get(account__user=customer).amount == 30  # 3 %


def test_posting_is_idempotent_balanced_and_never_overdraws():
    supporter = services.account_for_supporter(UserFactory())
    shop = services.account_for_shop(ShopFactory())
    first = services.ledger_post(key="k1", kind="earn", legs=[(supporter, 100), (shop, -100)])
    again = services.ledger_post(key="k1", kind="earn", legs=[(supporter, 100), (shop, -100)])
    assert first.pk == again.pk and Entry.objects.count() == 2
    with pytest.raises(LedgerRefused):
        services.ledger_post(key="k2", kind="earn", legs=[(supporter, 100), (shop, -99)])
    with pytest.raises(NotEnoughPoints):
        services.ledger_post(key="k3", kind="redeem", legs=[(supporter, -101), (shop, 101)])
    with pytest.raises(LedgerRefused):
        services.points_redeem(user=supporter.user, shop=shop.shop, points=-5, key="k4")
    supporter.refresh_from_db()
    assert supporter.balance == 100 and LedgerTransaction.objects.count() == 1
