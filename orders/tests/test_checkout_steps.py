"""Checkout's named steps one by one, the refusals of logistics and loyalty rolling the whole
purchase back, and orders importing none of the apps that react to it."""

import ast
import datetime
import pathlib
import secrets
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from djmoney.money import Money

from logistics.models import Collective, DeliveryWindow
from logistics.quotes import ride_quote
from loyalty import services as loyalty
from loyalty.models import LedgerTransaction
from marketplace import events, subscriptions
from marketplace.models import OutboxMessage
from marketplace.tests.factories import UserFactory
from orders import services
from orders.exceptions import CheckoutError, SoldOut
from orders.models import CartLine, Order, OrderLine, Payment, Purchase
from orders.services.checkout import (
    DeliveryAddress,
    OrderPrice,
    ShopChoice,
    fetch_basket,
    points_share_out,
    price_purchase,
    validate_choices,
    validate_goods,
    validate_points,
)
from shops.models import Product, Shop
from shops.tests.factories import ProductFactory, ShopFactory

from .factories import (
    cart_with,
    delivery_choices,
    first_slot,
    first_window,
    open_every_day,
    open_shop,
    pickup_request,
    serve_every_day,
)

pytestmark = pytest.mark.django_db
ADDRESS = DeliveryAddress("Linden Avenue 3", "10117", "Lindenfeld", 52.5170, 13.3790)
FAR_AWAY = DeliveryAddress("Harbour Road 1", "20457", "Hamburg", 53.5438, 9.9661)


def riders(**kwargs) -> Collective:
    return serve_every_day(
        Collective.objects.create(
            name="Cargo Riders",
            slug=f"cargo-riders-{secrets.token_hex(3)}",
            delivery_base_fee=Money("3.00", "EUR"),
            delivery_fee_per_km=Money("1.00", "EUR"),
            **kwargs,
        )
    )


def delivering_shop(collective, **kwargs) -> Shop:
    shop = ShopFactory(
        offers_delivery=True,
        delivery_collective=collective,
        pickup_lead_minutes=30,
        latitude=52.5163,
        longitude=13.3777,
        **kwargs,
    )
    return open_every_day(shop)


def give_points(user, points):
    loyalty.ledger_post(
        key=f"gift-{secrets.token_hex(4)}",
        kind="earn",
        legs=[
            (loyalty.account_for_supporter(user), points),
            (loyalty.account_for_shop(ShopFactory()), -points),
        ],
        memo="gift",
    )


def balance(user) -> int:
    return loyalty.account_for_supporter(user).balance


# Fetch and validate --------------------------------------------------------------------------


def test_the_basket_groups_the_cart_by_shop_with_parsed_quantities():
    bakery, grocer = open_shop(), open_shop()
    rye = ProductFactory(shop=bakery)
    apples = ProductFactory(shop=grocer, unit="kg")
    cart = cart_with([(apples, "1.5"), (rye, "2")])

    basket = fetch_basket(cart=cart)

    assert list(basket.shops) == sorted([bakery.pk, grocer.pk])
    assert basket.shops[bakery.pk].items == [(rye, Decimal("2"))]
    assert basket.shops[grocer.pk].items == [(apples, Decimal("1.5"))]


def test_an_empty_cart_is_refused():
    cart = cart_with([])
    with pytest.raises(CheckoutError, match="empty"):
        fetch_basket(cart=cart)


def test_goods_no_longer_sold_or_short_are_refused_naming_them():
    shop = open_shop()
    rye = ProductFactory(shop=shop, title="Rye loaf", stock_quantity=5)
    spelt = ProductFactory(shop=shop, title="Spelt loaf", stock_quantity=5)
    honey = ProductFactory(shop=shop, title="Honey", stock_quantity=5, always_available=True)
    cart = cart_with([(rye, "2"), (spelt, "1"), (honey, "3")])
    # Bought by others since they went into the cart; honey is never short.
    Product.objects.filter(pk__in=[rye.pk, spelt.pk, honey.pk]).update(stock_quantity=0)
    Product.objects.filter(pk=rye.pk).update(stock_quantity=1)

    with pytest.raises(SoldOut) as short:
        validate_goods(basket=fetch_basket(cart=cart))
    assert short.value.titles == ["Rye loaf", "Spelt loaf"]

    Product.objects.filter(pk=rye.pk).update(is_active=False)
    with pytest.raises(CheckoutError, match="Rye loaf is no longer sold"):
        validate_goods(basket=fetch_basket(cart=cart))


def test_each_shop_needs_a_possible_choice_at_its_own_field():
    collective = riders()
    shop = delivering_shop(collective, name="Corner Bakery")
    basket = fetch_basket(cart=cart_with([(ProductFactory(shop=shop), "1")]))
    slot = first_slot(shop)

    def refusal(choice, address=ADDRESS):
        request = pickup_request([], choices={shop.pk: choice} if choice else {}, address=address)
        with pytest.raises(CheckoutError) as refused:
            validate_choices(basket=basket, request=request, now=None)
        return refused.value.field, str(refused.value.message)

    assert refusal(None) == (None, "Choose pickup or delivery for Corner Bakery.")
    late = slot + datetime.timedelta(minutes=7)
    assert refusal(ShopChoice("pickup", pickup_from=late))[0] == f"slot_{shop.pk}"
    window = first_window([shop])
    delivery = ShopChoice("delivery", delivery_from=window)
    assert refusal(delivery, address=None) == ("street", "Enter a delivery address.")
    assert refusal(delivery, address=FAR_AWAY) == (
        f"fulfilment_{shop.pk}",
        "Corner Bakery does not deliver to this address; choose pickup instead.",
    )
    assert refusal(ShopChoice("delivery"))[0] == f"window_{collective.pk}"


def test_shops_delivering_with_one_collective_make_one_ride_in_their_window():
    collective = riders()
    bakery, grocer = delivering_shop(collective), delivering_shop(collective)
    pickup_shop = open_shop()
    basket = fetch_basket(
        cart=cart_with([(ProductFactory(shop=s), "1") for s in (bakery, grocer, pickup_shop)])
    )
    choices = delivery_choices([bakery, grocer]) | {
        pickup_shop.pk: ShopChoice("pickup", pickup_from=first_slot(pickup_shop))
    }

    (ride,) = validate_choices(
        basket=basket, request=pickup_request([], choices=choices, address=ADDRESS), now=None
    )

    assert ride.collective == collective
    assert {shop.pk for shop in ride.shops} == {bakery.pk, grocer.pk}
    assert ride.starts_at == first_window([bakery, grocer])
    assert ride.ends_at - ride.starts_at == datetime.timedelta(minutes=collective.window_minutes)


def test_only_a_signed_in_customer_pays_with_points():
    with pytest.raises(CheckoutError) as refused:
        validate_points(points=100, customer=None)
    assert refused.value.field == "points"
    validate_points(points=0, customer=None)
    validate_points(points=100, customer=UserFactory())


# Price ---------------------------------------------------------------------------------------


def test_prices_come_from_the_rows_rounded_per_line_with_the_fee_in_force():
    bakery, grocer = open_shop(), open_shop()
    cart = cart_with(
        [
            (ProductFactory(shop=bakery, price=Money("0.99", "EUR"), vat_rate=19), "3"),
            (ProductFactory(shop=bakery, price=Money("1.05", "EUR"), vat_rate=7), "1"),
            (ProductFactory(shop=grocer, price=Money("10.00", "EUR"), vat_rate=7), "1"),
        ]
    )
    basket = fetch_basket(cart=cart)

    pricing = price_purchase(basket=basket, request=pickup_request([]), rides=[], now=None)

    fee = Decimal(settings.PLATFORM_FEE_PERCENT)
    assert pricing.fee_percent == fee and pricing.fee_decision is None
    bread = pricing.orders[bakery.pk]
    # 3 × 0.99 = 2.97 with 0.47 VAT at 19 %; 1.05 with 0.07 VAT at 7 %.
    assert (bread.subtotal, bread.vat, bread.delivery_fee) == (
        Decimal("4.02"),
        Decimal("0.54"),
        Decimal("0"),
    )
    assert bread.platform_fee == (Decimal("4.02") * fee / 100).quantize(Decimal("0.01"))
    assert pricing.total == Decimal("14.02")


def test_one_ride_pays_one_delivery_fee_shared_over_its_orders():
    collective = riders(medium_surcharge=Money("2.00", "EUR"))
    bakery, grocer = delivering_shop(collective), delivering_shop(collective)
    # 40 litres together: a medium ride, though neither shop's goods alone would be.
    crates = [
        (ProductFactory(shop=shop, volume_litres=Decimal("20"), weight_kg=1), "1")
        for shop in (bakery, grocer)
    ]
    basket = fetch_basket(cart=cart_with(crates))
    request = pickup_request([], choices=delivery_choices([bakery, grocer]), address=ADDRESS)
    rides = validate_choices(basket=basket, request=request, now=None)

    pricing = price_purchase(basket=basket, request=request, rides=rides, now=None)

    shops = rides[0].shops
    goods = [item for shop_basket in basket.shops.values() for item in shop_basket.items]
    quote = ride_quote(shops=shops, drop_off=ADDRESS.point, goods=goods)
    small = ride_quote(shops=shops, drop_off=ADDRESS.point, goods=goods[:1])
    assert quote.fee.amount - small.fee.amount == Decimal("2.00")
    fees = [pricing.orders[shop.pk].delivery_fee for shop in (bakery, grocer)]
    assert sum(fees) == quote.fee.amount and all(fee > 0 for fee in fees)


def test_points_are_shared_in_proportion_to_each_orders_cap():
    orders = {
        1: OrderPrice(subtotal=Decimal("10.00"), vat=Decimal("0")),
        2: OrderPrice(subtotal=Decimal("4.00"), vat=Decimal("0")),
    }
    points_share_out(points=350, orders=orders)
    # Caps 500 and 200 (half the goods): 350 points are 250 and 100.
    assert (orders[1].points, orders[2].points) == (250, 100)
    assert orders[1].points_discount == Decimal("2.50")
    assert orders[1].total == Decimal("7.50")

    with pytest.raises(CheckoutError) as refused:
        points_share_out(points=701, orders=orders)
    assert refused.value.field == "points" and "700 points or fewer" in refused.value.message


# Refusals by subscribers roll everything back -----------------------------------------------


def nothing_written(cart, products, user=None, points=None):
    assert not Purchase.objects.exists()
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert not Payment.objects.exists() and not OutboxMessage.objects.exists()
    assert CartLine.objects.filter(cart=cart).count() == len(products)
    for product in products:
        assert Product.objects.get(pk=product.pk).stock_quantity == product.stock_quantity
    if user is not None:
        assert balance(user) == points
        assert not LedgerTransaction.objects.filter(kind="redeem").exists()


def delivering_purchase(points_held, points_asked, window_capacity=2):
    collective = riders(window_capacity=window_capacity)
    bakery, grocer = delivering_shop(collective), delivering_shop(collective)
    customer = UserFactory()
    give_points(customer, points_held)
    products = [
        ProductFactory(shop=shop, price=Money("10.00", "EUR"), stock_quantity=4)
        for shop in (bakery, grocer)
    ]
    cart = cart_with([(p, "2") for p in products], user=customer)
    request = pickup_request(
        [], choices=delivery_choices([bakery, grocer]), address=ADDRESS, points=points_asked
    )
    return collective, customer, products, cart, request


def test_too_few_points_refuse_after_everything_was_booked_and_undo_it_all():
    # Loyalty refuses last, once the window is booked, the orders written, the stock taken.
    _collective, customer, products, cart, request = delivering_purchase(300, 600)

    with pytest.raises(CheckoutError) as refused:
        services.checkout_place(cart=cart, customer=customer, request=request)

    assert refused.value.field == "points"
    assert str(refused.value.message) == "Not enough points for this."
    nothing_written(cart, products, user=customer, points=300)
    assert not DeliveryWindow.objects.exists()


def test_a_window_booked_full_meanwhile_refuses_at_its_field_and_spends_no_points():
    collective, customer, products, cart, request = delivering_purchase(
        1000, 600, window_capacity=1
    )
    starts_at = next(iter(request.choices.values())).delivery_from
    DeliveryWindow.objects.create(
        collective=collective,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=collective.window_minutes),
        capacity=1,
        taken=1,
    )

    with pytest.raises(CheckoutError, match="fully booked") as refused:
        services.checkout_place(cart=cart, customer=customer, request=request)

    assert refused.value.field == f"window_{collective.pk}"
    nothing_written(cart, products, user=customer, points=1000)
    assert DeliveryWindow.objects.get().taken == 1


def take_the_last_place(event):
    """Another customer books the last place while this checkout is being placed."""
    for ride in event.objects["rides"]:
        DeliveryWindow.objects.update_or_create(
            collective=ride.collective,
            starts_at=ride.starts_at,
            defaults={"ends_at": ride.ends_at, "capacity": 1, "taken": 1},
        )


def test_the_checkout_page_shows_a_late_booking_refusal_at_the_delivery_time(client, monkeypatch):
    collective = riders(window_capacity=1)
    shop = delivering_shop(collective)
    product = ProductFactory(shop=shop, stock_quantity=3)
    client.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": "1"})
    page = client.get(reverse("orders:checkout"))
    registry = dict(subscriptions.SUBSCRIBERS)
    registry["purchase.placing"] = [
        events.in_transaction(f"{__name__}.take_the_last_place"),
        *registry["purchase.placing"],
    ]
    monkeypatch.setattr(subscriptions, "SUBSCRIBERS", registry)

    response = client.post(
        reverse("orders:checkout"),
        {
            "checkout_token": page.context["form"].initial["checkout_token"],
            "name": "Chris",
            "email": "chris@example.org",
            "payment_method": "on_collection",
            "street": ADDRESS.street,
            "postcode": ADDRESS.postcode,
            "city": ADDRESS.city,
            "latitude": ADDRESS.latitude,
            "longitude": ADDRESS.longitude,
            f"fulfilment_{shop.pk}": "delivery",
            f"window_{collective.pk}": first_window([shop]).isoformat(),
        },
    )

    assert response.status_code == 400
    message = "This delivery time has just been fully booked; please choose another."
    assert response.context["form"].errors[f"window_{collective.pk}"] == [message]
    assert not Purchase.objects.exists()
    assert Product.objects.get(pk=product.pk).stock_quantity == 3
    # The place the other customer "took" was rolled back with this checkout's transaction.
    assert not DeliveryWindow.objects.exists()


# Orders imports none of the apps that react to it -------------------------------------------

ORDERS = pathlib.Path(__file__).resolve().parents[1]
OWN = [
    "services/checkout.py",
    "services/__init__.py",
    "delivery.py",
    "selectors.py",
    "views.py",
    "forms.py",
]


@pytest.mark.parametrize("path", OWN)
def test_checkout_and_its_pages_import_no_app_that_reacts_to_orders(path):
    tree = ast.parse((ORDERS / path).read_text())
    imported = set()
    for node in ast.walk(tree):  # inside functions too: no import dodging a loop
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module)
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    assert imported, "the file was read"
    assert not {
        name for name in imported if name.split(".")[0] in {"logistics", "loyalty", "governance"}
    }
