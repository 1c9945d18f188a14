"""Stock: goods for sale and goods set aside for open orders are counted apart, so a till's
shelf count, a cancellation, a collection or a courier's round trip never sells goods twice
or loses them."""

import importlib
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError
from django.urls import reverse

from logistics import services as logistics_services
from logistics.models import DeliveryJob
from logistics.tests.factories import collective, courier, delivery_purchase, make_ready
from logistics.tests.factories import delivering_shop as delivering_shop_of
from marketplace.tests.concurrency import run_together
from marketplace.tests.factories import UserFactory
from orders import services as order_services
from orders.exceptions import SoldOut
from orders.models import Order, Purchase
from orders.tests.factories import cart_with, open_shop, pickup_request
from shops import services
from shops.models import Product
from shops.services import stock

from .factories import ProductFactory, ShopMembershipFactory

pytestmark = pytest.mark.django_db


def levels(product) -> tuple[Decimal, Decimal]:
    """(available, allocated) as the database has them now."""
    product.refresh_from_db()
    return product.stock_quantity, product.allocated_quantity


def place(product, quantity: str) -> Order:
    cart = cart_with([(product, quantity)])
    purchase = order_services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([product.shop])
    )
    return purchase.orders.get()


def move(order, *statuses):
    for status in statuses:
        order_services.order_transition(order=order, to_status=status)


def till_count(client, shop, changes):
    _token, secret = services.api_token_create(shop=shop, name="Till", user=None)
    return client.post(
        reverse("api:stock", args=[shop.pk]),
        data=json.dumps({"changes": changes}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )


def test_checkout_sets_goods_aside_instead_of_removing_them_from_the_shop():
    bread = ProductFactory(shop=open_shop(), stock_quantity=10)
    place(bread, "3")
    assert levels(bread) == (Decimal("7"), Decimal("3"))
    assert bread.on_hand == 10


def test_a_till_count_while_an_order_waits_for_pickup_does_not_sell_its_goods_twice(client):
    # Given 3 of 10 loaves sold online and waiting on the shelf for pickup,
    shop = open_shop()
    bread = ProductFactory(shop=shop, sku="RYE", stock_quantity=10)
    order = place(bread, "3")
    move(order, "accepted", "ready")
    # when the till counts the 10 loaves still in the shop,
    response = till_count(client, shop, [{"sku": "RYE", "set": 10}])
    # then only 7 are for sale; the 3 stay set aside and the answer says so.
    assert response.status_code == 200
    assert response.json()["stock"] == [
        {"sku": "RYE", "on_hand": "10", "allocated": "3", "available": "7", "stock_quantity": "7"}
    ]
    assert levels(bread) == (Decimal("7"), Decimal("3"))
    # When the customer collects, the 3 leave the shop and 7 remain, all for sale.
    order_services.order_collect_with_code(order=order, code=order.pickup_code, actor=None)
    assert levels(bread) == (Decimal("7"), Decimal("0"))


def test_a_count_below_what_is_set_aside_leaves_nothing_for_sale(client):
    shop = open_shop()
    bread = ProductFactory(shop=shop, sku="RYE", stock_quantity=10)
    place(bread, "4")
    response = till_count(client, shop, [{"sku": "RYE", "set": 3}, {"sku": "RYE", "delta": -1}])
    assert response.status_code == 400
    assert levels(bread) == (Decimal("6"), Decimal("4"))
    response = till_count(client, shop, [{"sku": "RYE", "set": 3}])
    assert response.json()["stock"][0]["available"] == "0"
    assert levels(bread) == (Decimal("0"), Decimal("4"))


@pytest.mark.parametrize(
    ("steps", "ending"),
    [
        ((), "cancelled"),
        ((), "rejected"),
        (("accepted",), "cancelled"),
        (("accepted", "ready"), "cancelled"),
    ],
)
def test_a_cancellation_puts_the_goods_back_on_sale_and_out_of_allocated(steps, ending):
    bread = ProductFactory(shop=open_shop(), stock_quantity=5)
    order = place(bread, "2")
    move(order, *steps, ending)
    assert levels(bread) == (Decimal("5"), Decimal("0"))
    # A refund afterwards puts nothing back a second time.
    move(order, "refunded")
    assert levels(bread) == (Decimal("5"), Decimal("0"))


def test_collecting_takes_the_goods_out_of_allocated_and_a_refund_does_not_restock():
    bread = ProductFactory(shop=open_shop(), stock_quantity=5)
    order = place(bread, "2")
    move(order, "accepted", "ready", "collected")
    assert levels(bread) == (Decimal("3"), Decimal("0"))
    move(order, "refunded")
    assert levels(bread) == (Decimal("3"), Decimal("0"))


def test_goods_on_a_bike_leave_allocated_and_come_back_to_it_when_returned():
    riders = collective()
    shop = delivering_shop_of(riders)
    purchase = delivery_purchase([shop])
    goods = Product.objects.get(shop=shop)
    assert levels(goods) == (Decimal("9"), Decimal("1"))
    make_ready(purchase)
    job = DeliveryJob.objects.get()
    rider = courier(riders)
    logistics_services.job_claim(job_id=job.pk, courier=rider)
    order = purchase.orders.get()
    logistics_services.job_pick_up(job_id=job.pk, courier=rider, code=order.pickup_code)
    assert levels(goods) == (Decimal("9"), Decimal("0"))
    logistics_services.job_report_problem(job_id=job.pk, courier=rider, note="Nobody home")
    assert levels(goods) == (Decimal("9"), Decimal("1"))
    # Back at the shop and then cancelled: the goods are for sale again, nothing is lost.
    move(order, "cancelled")
    assert levels(goods) == (Decimal("10"), Decimal("0"))


def test_always_available_products_are_never_counted():
    lesson = ProductFactory(shop=open_shop(), stock_quantity=0, always_available=True)
    order = place(lesson, "2")
    assert levels(lesson) == (Decimal("0"), Decimal("0"))
    move(order, "cancelled")
    assert levels(lesson) == (Decimal("0"), Decimal("0"))


def test_sold_out_names_every_product_short_and_sets_nothing_aside():
    shop = open_shop()
    bread, milk = ProductFactory(shop=shop, stock_quantity=5), ProductFactory(shop=shop)
    cart = cart_with([(bread, "2"), (milk, "1")])
    Product.objects.filter(pk=bread.pk).update(stock_quantity=1)
    with pytest.raises(SoldOut) as refused:
        order_services.checkout_place(cart=cart, customer=cart.user, request=pickup_request([shop]))
    assert refused.value.titles == [bread.title]
    assert levels(bread) == (Decimal("1"), Decimal("0"))
    assert levels(milk) == (Decimal("10"), Decimal("0"))


def test_the_database_refuses_a_negative_allocation():
    bread = ProductFactory(stock_quantity=1)
    with pytest.raises(IntegrityError):
        Product.objects.filter(pk=bread.pk).update(allocated_quantity=Decimal("-1"))


def test_saving_a_product_page_opened_before_a_sale_does_not_undo_the_sale(client):
    # Given the owner opens the product page while 10 are in stock,
    shop = open_shop()
    owner = UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    client.force_login(owner)
    bread = ProductFactory(shop=shop, title="Rye loaf", sku="RYE", stock_quantity=10)
    page = client.get(reverse("dashboard:product", args=[shop.pk, bread.pk]))
    form = page.context["form"]
    data = {
        "title": "Rye loaf, large",
        "price_amount": "3.20",
        "vat_rate": "7",
        "unit": "piece",
        "stock_quantity": "10",
        "initial-stock_quantity": form["stock_quantity"].value(),
        "sku": "RYE",
        "is_active": "on",
        "description": "",
    }
    # when 2 are sold meanwhile and the owner saves a new title,
    place(bread, "2")
    response = client.post(reverse("dashboard:product", args=[shop.pk, bread.pk]), data)
    # then the sale stands: 8 for sale, 2 set aside.
    assert response.status_code == 302
    bread.refresh_from_db()
    assert bread.title == "Rye loaf, large"
    assert levels(bread) == (Decimal("8"), Decimal("2"))
    # The page shows both figures; a changed figure is what is for sale.
    page = client.get(reverse("dashboard:product", args=[shop.pk, bread.pk]))
    assert "Set aside for orders waiting for pickup or delivery: 2 more" in page.content.decode()
    client.post(
        reverse("dashboard:product", args=[shop.pk, bread.pk]),
        {**data, "stock_quantity": "20", "initial-stock_quantity": "8"},
    )
    assert levels(bread) == (Decimal("20"), Decimal("2"))
    listing = client.get(reverse("dashboard:products", args=[shop.pk])).content.decode()
    assert "20 in stock" in listing and "2 set aside for orders" in listing


def test_the_migration_counts_open_orders_as_set_aside():
    shop = open_shop()
    bread = ProductFactory(shop=shop, stock_quantity=20)
    lesson = ProductFactory(shop=shop, stock_quantity=0, always_available=True)
    move(place(bread, "1"), "accepted", "ready")
    place(bread, "2")
    move(place(bread, "4"), "accepted", "ready", "collected")
    move(place(bread, "8"), "cancelled")
    place(lesson, "1")
    Product.objects.update(allocated_quantity=0)
    migration = importlib.import_module("shops.migrations.0011_stock_allocated")
    migration.allocate_open_orders(apps, None)
    assert levels(bread) == (Decimal("13"), Decimal("3"))
    assert levels(lesson) == (Decimal("0"), Decimal("0"))


def test_the_dashboard_sets_stock_only_for_the_shops_own_products():
    shop, other = open_shop(), open_shop()
    mine, theirs = ProductFactory(shop=shop), ProductFactory(shop=other, stock_quantity=4)
    assert stock.stock_set(shop=shop, product_ids=[mine.pk, theirs.pk], available=Decimal(7)) == 1
    assert levels(mine)[0] == 7 and levels(theirs)[0] == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_checkouts_cancellations_and_counts_keep_the_goods_on_hand(round_, client):
    # Given 10 loaves for sale and 6 set aside for 6 open orders (16 in the shop),
    shop = open_shop()
    bread = ProductFactory(shop=shop, sku="RYE", stock_quantity=16)
    earlier = [place(bread, "1") for _ in range(6)]
    carts = [cart_with([(bread, "1")]) for _ in range(30)]
    requests = [pickup_request([shop]) for _ in range(30)]
    _token, secret = services.api_token_create(shop=shop, name="Till", user=None)

    def work(i):
        if i < 30:  # 30 buyers for the 10 loaves for sale
            return order_services.checkout_place(
                cart=carts[i], customer=carts[i].user, request=requests[i]
            )
        if i < 36:  # the 6 earlier customers cancel
            return order_services.order_transition(order=earlier[i - 30], to_status="cancelled")
        # and the till counts the same 16 loaves on the shelf twice meanwhile
        return stock.stock_adjust(
            shop=shop, changes=[stock.StockChange(index=0, sku="RYE", on_hand=Decimal(16))]
        )

    # when all of it happens at once,
    results = run_together(38, work)

    # then every loaf is either for sale or set aside for exactly one open order.
    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, SoldOut)]
    assert not errors, errors
    sold = [r for r in results if isinstance(r, Purchase)]
    assert 10 <= len(sold) <= 16
    available, allocated = levels(bread)
    open_orders = Order.objects.filter(status="placed").count()
    assert open_orders == len(sold) and allocated == open_orders
    assert available + allocated == 16 and available >= 0
