"""Cart, checkout and order pages as customers and shops use them, and who may see what."""

import datetime

import pytest
import segno
from django.urls import reverse
from djmoney.money import Money

from marketplace.tests.factories import UserFactory
from orders import services
from orders.models import Order, Purchase
from shops.tests.factories import ProductFactory, ShopMembershipFactory

from .factories import cart_with, first_slot, open_shop, pickup_request

pytestmark = pytest.mark.django_db
# The checkout page and placing an order, signed in, however many shops and times. The
# page (the session comes from the cache): user, cart, its lines, opening hours, closures,
# points, service hours, full windows, the menu's roles, the cart count. Placing: the first
# six (no windows when every shop is picked up), then one transaction: the cart locked, the
# token, the lines, the products locked, hours, closures, the fee in force, purchase,
# orders, lines, events, payment, the cart emptied, stock locked and taken, the outbox (no
# points spent).
CHECKOUT_PAGE_STATEMENTS = 10
PLACE_ORDER_STATEMENTS = 24


def checkout_form(client, for_shop, **extra):
    page = client.get(reverse("orders:checkout"))
    assert page.status_code == 200
    token = page.context["form"].initial["checkout_token"]
    return {
        "checkout_token": token,
        "name": "Chris",
        "email": "chris@example.org",
        "payment_method": "on_collection",
        f"fulfilment_{for_shop.pk}": "pickup",
        f"slot_{for_shop.pk}": first_slot(for_shop).isoformat(),
        **extra,
    }


def test_a_visitor_fills_a_cart_and_checks_out_paying_at_pickup(client):
    shop = open_shop(name="Corner Bakery")
    bread = ProductFactory(shop=shop, title="Rye loaf", price=Money("3.20", "EUR"))
    response = client.post(reverse("orders:cart_add", args=[bread.pk]), {"quantity": "2"})
    assert response.status_code == 302
    cart_page = client.get(reverse("orders:cart")).content.decode()
    assert "Rye loaf" in cart_page and "6.40" in cart_page
    # A tampered price or shop in the POST is simply not read.
    data = checkout_form(client, shop, price="0.01", total="0.01", shop=999)
    response = client.post(reverse("orders:checkout"), data)
    purchase = Purchase.objects.get()
    assert response.status_code == 302 and response.url == purchase.get_absolute_url()
    assert purchase.total == Money("6.40", "EUR")
    detail = client.get(purchase.get_absolute_url()).content.decode()
    assert "Corner Bakery" in detail and purchase.orders.get().pickup_code in detail
    assert "<svg" in detail  # the QR code of the pickup code


def test_pressing_place_order_twice_makes_one_purchase(client):
    shop = open_shop()
    client.post(reverse("orders:cart_add", args=[ProductFactory(shop=shop).pk]), {"quantity": "1"})
    data = checkout_form(client, shop)
    first = client.post(reverse("orders:checkout"), data)
    second = client.post(reverse("orders:checkout"), data)
    assert Purchase.objects.count() == 1
    assert first.status_code == 302
    # The cart is empty by then: the customer is sent back to it, nothing new is made.
    assert second.status_code == 302


@pytest.mark.parametrize("quantity", ["0", "-2", "1.5", "ten", "100000"])
def test_bad_quantities_are_refused_with_a_message(client, quantity):
    product = ProductFactory(shop=open_shop(), unit="piece")
    response = client.post(
        reverse("orders:cart_add", args=[product.pk]), {"quantity": quantity}, follow=True
    )
    assert response.status_code == 200
    assert list(response.context["messages"])
    assert client.get(reverse("orders:cart")).context["cart"].count == 0


def test_inactive_products_cannot_be_added(client):
    product = ProductFactory(shop=open_shop(), is_active=False)
    assert client.post(reverse("orders:cart_add", args=[product.pk])).status_code == 404


def test_a_missing_pickup_time_is_a_form_error_and_nothing_is_made(client):
    shop = open_shop()
    client.post(reverse("orders:cart_add", args=[ProductFactory(shop=shop).pk]), {"quantity": "1"})
    data = checkout_form(client, shop)
    data[f"slot_{shop.pk}"] = ""
    response = client.post(reverse("orders:checkout"), data)
    assert response.status_code == 400
    assert "Choose when you will pick up." in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "posted",
    [
        lambda slot: (slot + datetime.timedelta(minutes=7)).isoformat(),  # between slots
        lambda slot: (slot - datetime.timedelta(days=1)).isoformat(),  # yesterday
        lambda slot: slot.replace(tzinfo=None).isoformat(),  # no time zone
        lambda slot: "soon",
    ],
)
def test_a_pickup_time_not_offered_is_a_form_error_and_nothing_is_made(client, posted):
    shop = open_shop()
    client.post(reverse("orders:cart_add", args=[ProductFactory(shop=shop).pk]), {"quantity": "1"})
    data = checkout_form(client, shop)
    data[f"slot_{shop.pk}"] = posted(first_slot(shop))
    response = client.post(reverse("orders:checkout"), data)
    assert response.status_code == 400
    assert "This pickup time is not offered (any more)" in response.content.decode()
    assert not Order.objects.exists()


def test_the_shop_sees_its_order_and_moves_it_to_collected(client):
    shop = open_shop()
    owner = UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    cart = cart_with([(ProductFactory(shop=shop, title="Rye loaf"), "1")])
    purchase = services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([shop])
    )
    order = purchase.orders.get()
    client.force_login(owner)
    listing = client.get(reverse("orders:shop_orders", args=[shop.pk])).content.decode()
    assert order.number in listing
    step = reverse("orders:shop_order_transition", args=[shop.pk, order.pk])
    client.post(step, {"to_status": "accepted"})
    client.post(step, {"to_status": "collected"})  # not a step the page offers now
    order.refresh_from_db()
    assert order.status == "accepted"
    client.post(step, {"to_status": "ready"})
    collect = reverse("orders:shop_order_collect", args=[shop.pk, order.pk])
    client.post(collect, {"code": "NOPE00"})
    order.refresh_from_db()
    assert order.status == "ready"
    client.post(collect, {"code": order.pickup_code})
    order.refresh_from_db()
    assert order.status == "collected"
    timeline = client.get(purchase.get_absolute_url())
    assert timeline.status_code == 404  # the owner is not the customer
    client.force_login(cart.user)
    body = client.get(purchase.get_absolute_url()).content.decode()
    assert "Collected" in body and "Accepted" in body and "Ready" in body


@pytest.fixture
def two_shops_and_an_order():
    shop, other_shop = open_shop(), open_shop()
    member_of_other = UserFactory()
    ShopMembershipFactory(shop=other_shop, user=member_of_other)
    cart = cart_with([(ProductFactory(shop=shop), "1")])
    purchase = services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([shop])
    )
    return shop, other_shop, member_of_other, purchase, purchase.orders.get()


def test_every_order_url_is_404_for_the_wrong_person(client, two_shops_and_an_order):
    shop, other_shop, outsider, purchase, order = two_shops_and_an_order
    client.force_login(outsider)
    urls = [
        ("get", reverse("orders:shop_orders", args=[shop.pk])),
        ("get", reverse("orders:shop_order", args=[shop.pk, order.pk])),
        ("post", reverse("orders:shop_order_transition", args=[shop.pk, order.pk])),
        ("post", reverse("orders:shop_order_collect", args=[shop.pk, order.pk])),
        # Their own shop's id with another shop's order:
        ("get", reverse("orders:shop_order", args=[other_shop.pk, order.pk])),
        ("post", reverse("orders:shop_order_transition", args=[other_shop.pk, order.pk])),
        ("get", purchase.get_absolute_url()),
        ("post", reverse("orders:purchase_pay", args=[purchase.pk])),
    ]
    for method, url in urls:
        response = getattr(client, method)(
            url, {"to_status": "accepted", "code": order.pickup_code}
        )
        assert response.status_code == 404, url
    order.refresh_from_db()
    assert order.status == "placed"


def test_anonymous_people_are_sent_to_log_in_for_shop_pages(client, two_shops_and_an_order):
    shop, _other, _outsider, _purchase, order = two_shops_and_an_order
    response = client.get(reverse("orders:shop_order", args=[shop.pk, order.pk]))
    assert response.status_code == 302 and "login" in response.url


def test_cart_lines_of_someone_else_cannot_be_changed(client):
    product = ProductFactory(shop=open_shop())
    other_cart = cart_with([(product, "1")])
    line = other_cart.lines.get()
    client.force_login(UserFactory())
    client.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": "1"})
    client.post(reverse("orders:cart_line", args=[line.pk]), {"quantity": "0"})
    assert other_cart.lines.count() == 1


@pytest.mark.parametrize("count", [1, 12])
def test_cart_page_queries_do_not_grow_with_lines(client, django_assert_max_num_queries, count):
    shop = open_shop()
    user = UserFactory()
    cart_with([(ProductFactory(shop=shop), "1") for _ in range(count)], user=user)
    client.force_login(user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orders:cart"))
    assert response.context["cart"].count == count


def test_scanning_the_pickup_qr_opens_the_ready_order_for_its_shop_only(client):
    shop = open_shop()
    owner, outsider = UserFactory(), UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    ShopMembershipFactory(shop=open_shop(), user=outsider)
    cart = cart_with([(ProductFactory(shop=shop), "1")])
    purchase = services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([shop])
    )
    order = purchase.orders.get()
    url = reverse("orders:collect_by_code") + f"?code={order.pickup_code}"
    client.force_login(cart.user)
    qr = segno.make(f"http://testserver{url}", error="m").svg_inline(scale=4, dark="#1d2421")
    assert qr in client.get(purchase.get_absolute_url()).content.decode()
    client.force_login(owner)
    assert client.get(url).url == reverse("marketplace:profile")  # not ready yet
    for status in ("accepted", "ready"):
        services.order_transition(order=order, to_status=status)
    assert client.get(url).url == reverse("orders:shop_order", args=[shop.pk, order.pk])
    client.force_login(outsider)
    assert client.get(url).url == reverse("marketplace:profile")


def test_a_visitors_cart_is_kept_when_they_log_in(client):
    product = ProductFactory(shop=open_shop(), title="Rye loaf")
    user = UserFactory()
    cart_with([(product, "1")], user=user)
    client.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": "2"})
    client.post(reverse("account_login"), {"login": user.email, "password": "a-long-test-password"})
    contents = client.get(reverse("orders:cart")).context["cart"]
    assert contents.count == 1
    assert contents.groups[0].lines[0].quantity == 3


def test_the_customer_cancels_before_the_shop_starts_and_not_after(client):
    shop = open_shop()
    product = ProductFactory(shop=shop, stock_quantity=5)
    user = UserFactory()
    cart = cart_with([(product, "2")], user=user)
    purchase = services.checkout_place(cart=cart, customer=user, request=pickup_request([shop]))
    order = purchase.orders.get()
    client.force_login(user)
    cancel = reverse("orders:purchase_order_cancel", args=[purchase.pk, order.pk])
    client.post(cancel)
    order.refresh_from_db()
    product.refresh_from_db()
    assert order.status == "cancelled" and product.stock_quantity == 5

    cart = cart_with([(product, "1")], user=user)
    purchase = services.checkout_place(cart=cart, customer=user, request=pickup_request([shop]))
    order = purchase.orders.get()
    services.order_transition(order=order, to_status="accepted")
    client.post(reverse("orders:purchase_order_cancel", args=[purchase.pk, order.pk]))
    order.refresh_from_db()
    assert order.status == "accepted"
    client.force_login(UserFactory())
    response = client.post(reverse("orders:purchase_order_cancel", args=[purchase.pk, order.pk]))
    assert response.status_code == 404


def test_the_shop_works_through_orders_in_the_list_without_reloading(client):
    shop = open_shop()
    owner = UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    cart = cart_with([(ProductFactory(shop=shop), "1")])
    purchase = services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([shop])
    )
    order = purchase.orders.get()
    client.force_login(owner)
    htmx = {"HX-Request": "true"}
    table = client.get(reverse("orders:shop_orders", args=[shop.pk]), headers=htmx)
    assert table.context["new_count"] == 1
    assert 'id="orders-table"' in table.content.decode() and "<html" not in table.content.decode()
    step = reverse("orders:shop_order_transition", args=[shop.pk, order.pk])
    refused = client.post(step, {"to_status": "rejected"}, headers=htmx).content.decode()
    assert "Tell the customer why" in refused and refused.lstrip().startswith("<tr")
    row = client.post(step, {"to_status": "accepted"}, headers=htmx).content.decode()
    assert "Accepted" in row and "Mark ready" in row
    order.refresh_from_db()
    assert order.status == "accepted"
    table = client.get(reverse("orders:shop_orders", args=[shop.pk]), headers=htmx)
    assert table.context["new_count"] == 0


def test_a_rejection_reason_reaches_the_customers_timeline(
    client, django_capture_on_commit_callbacks
):
    from django.core import mail

    shop = open_shop()
    owner = UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    cart = cart_with([(ProductFactory(shop=shop), "1")])
    purchase = services.checkout_place(
        cart=cart, customer=cart.user, request=pickup_request([shop])
    )
    order = purchase.orders.get()
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("orders:shop_order_transition", args=[shop.pk, order.pk]),
            {"to_status": "rejected", "note": "Our oven broke today"},
        )
    order.refresh_from_db()
    assert order.status == "rejected"
    assert "Our oven broke today" in mail.outbox[-1].body
    client.force_login(cart.user)
    assert "Our oven broke today" in client.get(purchase.get_absolute_url()).content.decode()


@pytest.mark.parametrize("shop_count", [1, 3])
def test_checkout_statements_do_not_grow_with_shops_or_times(
    client, django_assert_num_queries, shop_count
):
    """Given a signed-in customer's cart from 1 or 3 shops, each open around the clock
    (about 140 pickup times a shop) and delivering with one of two couriers' collectives
    (windows too), when they open the checkout page and place the order for pickup, then
    the page and the placing take the same number of statements whatever the count."""
    from logistics.tests.factories import collective, delivering_shop

    riders = [collective(slug="riders-a"), collective(slug="riders-b", name="Other riders")]
    shops = [delivering_shop(riders[n % 2]) for n in range(shop_count)]
    user = UserFactory()
    cart_with([(ProductFactory(shop=shop), "1") for shop in shops], user=user)
    client.force_login(user)

    with django_assert_num_queries(CHECKOUT_PAGE_STATEMENTS):
        page = client.get(reverse("orders:checkout"))
    form = page.context["form"]
    assert len(form.window_fields()) == min(shop_count, 2)
    data = {
        "checkout_token": form.initial["checkout_token"],
        "name": "Chris",
        "email": "chris@example.org",
        "payment_method": "on_collection",
    }
    for shop in shops:
        times = list(form.fields[f"slot_{shop.pk}"].choices)
        assert len(times) > 100
        # The second time offered: the first may pass while the test runs.
        data |= {f"fulfilment_{shop.pk}": "pickup", f"slot_{shop.pk}": times[2][0]}
    with django_assert_num_queries(PLACE_ORDER_STATEMENTS):
        response = client.post(reverse("orders:checkout"), data)

    assert response.status_code == 302
    assert Order.objects.filter(purchase__customer=user).count() == shop_count
