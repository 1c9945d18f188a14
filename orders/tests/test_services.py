"""Cart, checkout and order states, as the services guarantee them."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from djmoney.money import Money

from logistics.models import Collective
from orders import services
from orders.exceptions import (
    CheckoutError,
    InvalidQuantity,
    InvalidTransition,
    SoldOut,
    WrongPickupCode,
)
from orders.models import CartLine, Order, OrderEvent, Payment, Purchase
from orders.services.checkout import DeliveryAddress, ShopChoice
from shops.tests.factories import ProductFactory

from .factories import (
    cart_with,
    delivery_choices,
    first_slot,
    open_shop,
    pickup_request,
    serve_every_day,
)

pytestmark = pytest.mark.django_db
EUR = "EUR"


# Cart -------------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["0", "-1", "1.5", "abc", "1e9", "NaN", ""])
def test_pieces_come_in_whole_positive_numbers(quantity):
    product = ProductFactory(unit="piece")
    cart = cart_with([])
    with pytest.raises(InvalidQuantity):
        services.cart_add(cart=cart, product=product, quantity=quantity)
    assert not CartLine.objects.exists()


def test_kilograms_come_in_half_kilo_steps_unless_the_shop_sets_another():
    potatoes = ProductFactory(unit="kg", stock_quantity=Decimal("5"))
    cart = cart_with([(potatoes, "1.5")])
    with pytest.raises(InvalidQuantity, match="steps of 0.5 kg"):
        services.cart_add(cart=cart, product=potatoes, quantity="0.3")
    cheese = ProductFactory(unit="kg", stock_quantity=Decimal("5"), quantity_step=Decimal("0.1"))
    services.cart_add(cart=cart, product=cheese, quantity="0.3")
    services.cart_add(cart=cart, product=cheese, quantity="0,2")
    with pytest.raises(InvalidQuantity, match="steps of 0.1 kg"):
        services.cart_add(cart=cart, product=cheese, quantity="0.25")
    assert dict(cart.lines.values_list("product_id", "quantity")) == {
        potatoes.pk: Decimal("1.5"),
        cheese.pk: Decimal("0.5"),
    }


def test_cannot_add_more_than_in_stock_or_what_is_not_sold():
    product = ProductFactory(stock_quantity=2)
    cart = cart_with([(product, "2")])
    with pytest.raises(InvalidQuantity, match="Only 2"):
        services.cart_add(cart=cart, product=product, quantity="1")
    hidden = ProductFactory(is_active=False)
    with pytest.raises(InvalidQuantity, match="no longer sold"):
        services.cart_add(cart=cart, product=hidden, quantity="1")


def test_a_visitors_cart_joins_the_account_cart_at_login():
    bread, milk = ProductFactory(), ProductFactory()
    visitor = services.cart_get_or_create(user=None)
    services.cart_add(cart=visitor, product=bread, quantity="1")
    account = cart_with([(bread, "2"), (milk, "1")])
    services.cart_merge(source=visitor, target=account)
    assert dict(account.lines.values_list("product_id", "quantity")) == {
        bread.pk: Decimal("3"),
        milk.pk: Decimal("1"),
    }


# Checkout ---------------------------------------------------------------------------------


def test_one_checkout_makes_one_order_per_shop_with_server_prices(settings):
    settings.PLATFORM_FEE_PERCENT = "5.00"
    bakery, grocer = open_shop(name="Bakery"), open_shop(name="Grocer")
    bread = ProductFactory(shop=bakery, price=Money("3.20", EUR), vat_rate=Decimal("7"))
    apples = ProductFactory(
        shop=grocer, unit="kg", price=Money("2.90", EUR), stock_quantity=Decimal("10")
    )
    cart = cart_with([(bread, "2"), (apples, "1.5")])
    purchase = services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([bakery, grocer])
    )
    orders = {order.shop.name: order for order in purchase.orders.all()}
    assert orders["Bakery"].subtotal == Money("6.40", EUR)
    assert orders["Bakery"].vat_included == Money("0.42", EUR)
    assert orders["Bakery"].platform_fee == Money("0.32", EUR)
    assert orders["Grocer"].subtotal == Money("4.35", EUR)
    assert purchase.total == Money("10.75", EUR)
    assert {o.status for o in orders.values()} == {Order.Status.PLACED}
    bread.refresh_from_db()
    apples.refresh_from_db()
    assert bread.stock_quantity == Decimal("8") and apples.stock_quantity == Decimal("8.5")
    assert not cart.lines.exists()
    assert OrderEvent.objects.filter(order__purchase=purchase).count() == 2
    assert Payment.objects.get(purchase=purchase).amount == purchase.total


def test_emails_go_to_the_customer_and_each_shop_after_commit(
    django_capture_on_commit_callbacks,
):
    bakery = open_shop(name="Bakery", email="bakery@example.org")
    cart = cart_with([(ProductFactory(shop=bakery, title="Rye loaf"), "1")])
    with django_capture_on_commit_callbacks(execute=True):
        services.checkout_place(cart=cart, customer=cart.user, request=pickup_request([bakery]))
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["bakery@example.org", "chris@example.org"]
    assert all("Rye loaf" in message.body for message in mail.outbox)
    assert all(message.alternatives for message in mail.outbox)


def test_sold_out_meanwhile_writes_nothing():
    shop = open_shop()
    bread = ProductFactory(shop=shop, stock_quantity=1)
    milk = ProductFactory(shop=shop, stock_quantity=5)
    cart = cart_with([(bread, "1"), (milk, "2")])
    type(bread).objects.filter(pk=bread.pk).update(stock_quantity=0)
    with pytest.raises(SoldOut):
        services.checkout_place(cart=cart, customer=cart.user, request=pickup_request([shop]))
    milk.refresh_from_db()
    assert milk.stock_quantity == 5
    assert not Purchase.objects.exists() and not Order.objects.exists()
    assert cart.lines.count() == 2


def test_the_same_checkout_token_gives_the_same_purchase():
    shop = open_shop()
    cart = cart_with([(ProductFactory(shop=shop), "1")])
    request = pickup_request([shop])
    first = services.checkout_place(cart=cart, customer=cart.user, request=request)
    again = services.checkout_place(cart=cart, customer=cart.user, request=request)
    assert first.pk == again.pk and Purchase.objects.count() == 1


@pytest.mark.parametrize("when", ["past", "closed", "unaligned"])
def test_pickup_times_must_be_offered_ones(when):
    shop = open_shop()
    cart = cart_with([(ProductFactory(shop=shop), "1")])
    slot = first_slot(shop)
    pickup = {
        "past": timezone.now() - datetime.timedelta(hours=2),
        "closed": slot + datetime.timedelta(days=30),
        "unaligned": slot + datetime.timedelta(minutes=7),
    }[when]
    request = pickup_request(
        [shop], choices={shop.pk: ShopChoice(fulfilment="pickup", pickup_from=pickup)}
    )
    with pytest.raises(CheckoutError, match="pickup times"):
        services.checkout_place(cart=cart, customer=cart.user, request=request)
    assert not Order.objects.exists()


@pytest.fixture
def collective():
    return serve_every_day(
        Collective.objects.create(
            name="Riders",
            slug="riders",
            delivery_base_fee=Money("3.00", EUR),
            delivery_fee_per_km=Money("1.00", EUR),
        )
    )


def delivery_request(shops, latitude, longitude):
    return pickup_request(
        shops,
        choices=delivery_choices(shops),
        address=DeliveryAddress("Linden Avenue 3", "10117", "Lindenfeld", latitude, longitude),
    )


def test_shops_delivering_to_one_address_share_one_ride_and_one_fee(collective):
    # Two shops ~1.1 km north of the drop-off, 110 m apart.
    first = open_shop(
        latitude=52.5263, longitude=13.3777, offers_delivery=True, delivery_collective=collective
    )
    second = open_shop(
        latitude=52.5273, longitude=13.3777, offers_delivery=True, delivery_collective=collective
    )
    cart = cart_with([(ProductFactory(shop=first), "1"), (ProductFactory(shop=second), "1")])
    purchase = services.checkout_place(
        cart=cart, customer=cart.user, request=delivery_request([first, second], 52.5163, 13.3777)
    )
    fees = [order.delivery_fee.amount for order in purchase.orders.all()]
    # 3.00 base + 1.00 × 1.22 km, rounded up to 10 cents: one fee, split over two orders.
    assert sum(fees) == Decimal("4.30")
    assert purchase.total.amount == Decimal("9.00") + Decimal("4.30")


def test_delivery_outside_the_area_is_refused(collective):
    shop = open_shop(offers_delivery=True, delivery_collective=collective)
    cart = cart_with([(ProductFactory(shop=shop), "1")])
    with pytest.raises(CheckoutError, match="does not deliver"):
        services.checkout_place(
            cart=cart, customer=cart.user, request=delivery_request([shop], 52.70, 13.3777)
        )
    not_offering = open_shop()
    cart = cart_with([(ProductFactory(shop=not_offering), "1")])
    with pytest.raises(CheckoutError, match="does not deliver"):
        services.checkout_place(
            cart=cart,
            customer=cart.user,
            request=delivery_request([not_offering], 52.5163, 13.3777),
        )
    assert not Order.objects.exists()


# Order states -----------------------------------------------------------------------------


@pytest.fixture
def placed_order():
    shop = open_shop()
    product = ProductFactory(shop=shop, stock_quantity=5)
    cart = cart_with([(product, "2")])
    purchase = services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([shop])
    )
    return purchase.orders.get()


def test_the_happy_path_to_collection_is_recorded_as_a_timeline(placed_order):
    for status in ("accepted", "ready"):
        services.order_transition(order=placed_order, to_status=status)
    with pytest.raises(WrongPickupCode):
        services.order_collect_with_code(order=placed_order, code="WRONG1", actor=None)
    services.order_collect_with_code(
        order=placed_order, code=placed_order.pickup_code.lower(), actor=None
    )
    placed_order.refresh_from_db()
    assert placed_order.status == "collected"
    assert list(placed_order.events.values_list("to_status", flat=True)) == [
        "placed",
        "accepted",
        "ready",
        "collected",
    ]


@pytest.mark.parametrize(
    "path, refused",
    [
        ([], "ready"),
        ([], "collected"),
        (["accepted"], "accepted"),
        (["rejected"], "accepted"),
        (["accepted", "ready"], "out_for_delivery"),  # a pickup order is not delivered
        (["cancelled"], "placed"),
    ],
)
def test_steps_outside_the_table_are_refused(placed_order, path, refused):
    for status in path:
        services.order_transition(order=placed_order, to_status=status)
    with pytest.raises(InvalidTransition):
        services.order_transition(order=placed_order, to_status=refused)


@pytest.mark.parametrize("path", [["rejected"], ["accepted", "cancelled"]])
def test_rejected_or_cancelled_orders_put_stock_back_once(placed_order, path):
    product = placed_order.lines.get().product
    product.refresh_from_db()
    assert product.stock_quantity == 3
    for status in path:
        services.order_transition(order=placed_order, to_status=status)
    product.refresh_from_db()
    assert product.stock_quantity == 5
    services.order_transition(order=placed_order, to_status="refunded")
    product.refresh_from_db()
    assert product.stock_quantity == 5


def test_card_orders_left_unpaid_are_cancelled_and_their_stock_released():
    shop = open_shop()
    product = ProductFactory(shop=shop, stock_quantity=3)
    cart = cart_with([(product, "1")])
    purchase = services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([shop], payment_method="card")
    )
    assert purchase.orders.get().status == "awaiting_payment"
    assert services.purchase_cancel_unpaid() == 0
    later = timezone.now() + datetime.timedelta(hours=1)
    assert services.purchase_cancel_unpaid(now=later) == 1
    product.refresh_from_db()
    assert purchase.orders.get().status == "cancelled" and product.stock_quantity == 3
    assert purchase.payments.get().status == "failed"
