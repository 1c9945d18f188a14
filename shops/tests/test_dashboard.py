"""The shop's dashboard: what owners and staff do, and that nobody else can."""

from decimal import Decimal

import pytest
from django.urls import reverse
from djmoney.money import Money

from marketplace.tests.factories import UserFactory
from orders import services as order_services
from orders.tests.factories import cart_with, open_shop, pickup_request
from shops.models import Product, ProductPhoto

from .factories import CategoryFactory, ProductFactory, ShopFactory, ShopMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_and_shop(client):
    shop = open_shop(name="Corner Bakery")
    owner = UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    client.force_login(owner)
    return owner, shop


def product_data(**overrides):
    data = {
        "title": "Rye loaf",
        "price_amount": "3.20",
        "vat_rate": "7",
        "unit": "piece",
        "stock_quantity": "12",
        "sku": "RYE-1",
        "is_active": "on",
        "description": "",
    }
    data.update(overrides)
    return data


def test_home_shows_waiting_orders_sales_chart_low_stock_and_tasks(client, owner_and_shop):
    _owner, shop = owner_and_shop
    bread = ProductFactory(
        shop=shop, title="Rye loaf", price=Money("3.20", "EUR"), stock_quantity=3
    )
    cart = cart_with([(bread, "2")])
    order_services.checkout_place(cart=cart, customer=cart.user, request=pickup_request([shop]))
    response = client.get(reverse("dashboard:home", args=[shop.pk]))
    body = response.content.decode()
    assert response.context["orders"]["waiting"] == {"placed": 1}
    assert [p.title for p in response.context["low_stock"]] == ["Rye loaf"]
    week = response.context["week_chart"]
    assert len(week.bars) == 7 and week.bars[-1].value == Decimal("6.40")
    assert week.bars[-1].height > 0 and all(b.height == 0 for b in week.bars[:-1])
    assert "<svg" in body and "€6.40" in body
    assert response.context["tasks"]["without_photo"] == 1


def test_a_product_is_created_edited_and_refused_when_bad(client, owner_and_shop):
    _owner, shop = owner_and_shop
    new = reverse("dashboard:product_new", args=[shop.pk])
    response = client.post(new, product_data())
    product = Product.objects.get(shop=shop, sku="RYE-1")
    assert response.url == reverse("dashboard:product", args=[shop.pk, product.pk])
    assert product.price == Money("3.20", "EUR") and product.slug == "rye-loaf"
    for bad, field in [
        ({"price_amount": "-1"}, "price_amount"),
        ({"price_amount": "abc"}, "price_amount"),
        ({"stock_quantity": "-5"}, "stock_quantity"),
        ({"sku": "RYE-1", "title": "Another"}, "sku"),
        ({"title": ""}, "title"),
    ]:
        response = client.post(new, product_data(**bad))
        assert response.status_code == 400 and field in response.context["form"].errors, bad
    assert Product.objects.filter(shop=shop).count() == 1
    edit = reverse("dashboard:product", args=[shop.pk, product.pk])
    client.post(edit, product_data(title="Dark rye loaf", price_amount="3.50"))
    product.refresh_from_db()
    assert (product.title, product.price.amount, product.slug) == (
        "Dark rye loaf",
        Decimal("3.50"),
        "dark-rye-loaf",
    )


def test_bulk_changes_touch_only_ticked_products_of_this_shop(client, owner_and_shop):
    _owner, shop = owner_and_shop
    cheap = ProductFactory(shop=shop, price=Money("10.00", "EUR"))
    dear = ProductFactory(shop=shop, price=Money("2.35", "EUR"))
    untouched = ProductFactory(shop=shop, price=Money("5.00", "EUR"))
    foreign = ProductFactory(price=Money("5.00", "EUR"))
    bulk = reverse("dashboard:products_bulk", args=[shop.pk])
    ids = [cheap.pk, dear.pk, foreign.pk]
    client.post(bulk, {"products": ids, "action": "price_percent", "value": "10"})
    prices = {p.pk: p.price.amount for p in Product.objects.all()}
    assert prices[cheap.pk] == Decimal("11.00") and prices[dear.pk] == Decimal("2.59")
    assert prices[untouched.pk] == Decimal("5.00") and prices[foreign.pk] == Decimal("5.00")
    client.post(bulk, {"products": ids, "action": "deactivate"})
    assert set(Product.objects.filter(is_active=False).values_list("pk", flat=True)) == {
        cheap.pk,
        dear.pk,
    }
    category = CategoryFactory(slug="bread")
    client.post(bulk, {"products": ids, "action": "set_category", "category": "bread"})
    client.post(bulk, {"products": ids, "action": "set_stock", "value": "-3"})  # refused
    client.post(bulk, {"products": ids, "action": "set_stock", "value": "7"})
    cheap.refresh_from_db()
    foreign.refresh_from_db()
    assert cheap.category == category and cheap.stock_quantity == 7
    assert foreign.category is None and foreign.is_active


def test_duplicating_makes_an_inactive_copy_with_a_free_sku(client, owner_and_shop):
    _owner, shop = owner_and_shop
    product = ProductFactory(shop=shop, title="Rye loaf", sku="RYE")
    client.post(reverse("dashboard:product_duplicate", args=[shop.pk, product.pk]))
    client.post(reverse("dashboard:product_duplicate", args=[shop.pk, product.pk]))
    copies = Product.objects.filter(shop=shop).exclude(pk=product.pk).order_by("pk")
    assert [(c.sku, c.is_active) for c in copies] == [("RYE-COPY", False), ("RYE-COPY2", False)]
    assert copies[0].title == "Rye loaf (copy)"


def test_photos_are_reordered_and_deleted(client, owner_and_shop):
    _owner, shop = owner_and_shop
    product = ProductFactory(shop=shop)
    photos = [
        ProductPhoto.objects.create(product=product, image=f"p{n}.jpg", position=n)
        for n in range(3)
    ]
    url = reverse("dashboard:photo_order", args=[shop.pk, product.pk, photos[2].pk])
    client.post(url, {"move": "main"})
    assert list(product.photos.values_list("pk", flat=True)) == [
        photos[2].pk,
        photos[0].pk,
        photos[1].pk,
    ]
    client.post(
        reverse("dashboard:photo_order", args=[shop.pk, product.pk, photos[0].pk]), {"move": "down"}
    )
    assert list(product.photos.values_list("pk", flat=True)) == [
        photos[2].pk,
        photos[1].pk,
        photos[0].pk,
    ]
    client.post(url, {"move": "delete"})
    assert product.photos.count() == 2


def test_the_product_list_filters_and_keeps_its_query_count(
    client, owner_and_shop, django_assert_max_num_queries
):
    _owner, shop = owner_and_shop
    ProductFactory(shop=shop, title="Sold out", stock_quantity=0)
    ProductFactory(shop=shop, title="Plenty", stock_quantity=50, sku="PLENTY-9")
    listing = reverse("dashboard:products", args=[shop.pk])
    assert [p.title for p in client.get(listing, {"state": "out"}).context["page"]] == ["Sold out"]
    assert [p.title for p in client.get(listing, {"q": "plenty-9"}).context["page"]] == ["Plenty"]
    for _ in range(30):
        ProductFactory(shop=shop)
    with django_assert_max_num_queries(14):
        response = client.get(listing)
    assert len(response.context["page"].object_list) == 32


def test_every_dashboard_url_is_404_for_people_outside_the_shop(client):
    shop = ShopFactory()
    product = ProductFactory(shop=shop)
    photo = ProductPhoto.objects.create(product=product, image="p.jpg")
    outsider = UserFactory()
    ShopMembershipFactory(shop=ShopFactory(), user=outsider, role="owner")
    client.force_login(outsider)
    urls = [
        ("get", reverse("dashboard:home", args=[shop.pk])),
        ("get", reverse("dashboard:products", args=[shop.pk])),
        ("get", reverse("dashboard:product_new", args=[shop.pk])),
        ("post", reverse("dashboard:product_new", args=[shop.pk])),
        ("get", reverse("dashboard:product", args=[shop.pk, product.pk])),
        ("post", reverse("dashboard:product", args=[shop.pk, product.pk])),
        ("post", reverse("dashboard:products_bulk", args=[shop.pk])),
        ("post", reverse("dashboard:product_duplicate", args=[shop.pk, product.pk])),
        ("post", reverse("dashboard:photo_order", args=[shop.pk, product.pk, photo.pk])),
        ("get", reverse("dashboard:demand", args=[shop.pk])),
        ("get", reverse("dashboard:reports", args=[shop.pk])),
        ("get", reverse("dashboard:api_tokens", args=[shop.pk])),
        ("post", reverse("dashboard:api_tokens", args=[shop.pk])),
        ("get", reverse("dashboard:import_start", args=[shop.pk])),
        ("get", reverse("dashboard:export", args=[shop.pk, "csv"])),
    ]
    for method, url in urls:
        data = {
            "products": [product.pk],
            "action": "deactivate",
            "move": "delete",
            **product_data(title="Hacked"),
        }
        assert getattr(client, method)(url, data).status_code == 404, url
    product.refresh_from_db()
    assert product.is_active and product.title != "Hacked" and product.photos.count() == 1
    assert Product.objects.count() == 1
    client.logout()
    assert client.get(reverse("dashboard:home", args=[shop.pk])).status_code == 302


def test_demand_signals_group_searches_by_term_and_week_without_names(client, owner_and_shop):
    from shops.models import UnmetSearch

    _owner, shop = owner_and_shop
    for term in ["oat milk", "oat milk", "oat milk", "inner tube"]:
        UnmetSearch.objects.create(term=term, area="10117")
    response = client.get(reverse("dashboard:demand", args=[shop.pk]))
    signals = response.context["signals"]
    assert [(s["term"], s["total"]) for s in signals] == [("oat milk", 3), ("inner tube", 1)]
    body = response.content.decode()
    new = reverse("dashboard:product_new", args=[shop.pk])
    assert f"{new}?title=oat%20milk" in body
    prefilled = client.get(f"{new}?title=oat%20milk")
    assert prefilled.context["form"].initial["title"] == "oat milk"


def test_reports_sum_sales_by_product_and_day_with_fees_and_csv(client, owner_and_shop, settings):
    settings.PLATFORM_FEE_PERCENT = "10.00"
    _owner, shop = owner_and_shop
    bread = ProductFactory(shop=shop, sku="RYE", title="Rye", price=Money("3.00", "EUR"))
    for quantity in ("1", "2"):
        cart = cart_with([(bread, quantity)])
        order_services.checkout_place(cart=cart, customer=cart.user, request=pickup_request([shop]))
    rejected_cart = cart_with([(bread, "5")])
    purchase = order_services.checkout_place(
        cart=rejected_cart, customer=rejected_cart.user, request=pickup_request([shop])
    )
    order_services.order_transition(order=purchase.orders.get(), to_status="rejected")
    url = reverse("dashboard:reports", args=[shop.pk])
    report = client.get(url).context["report"]
    assert report["order_count"] == 2 and report["goods"] == Decimal("9.00")
    assert report["platform_fees"] == Decimal("0.90")
    assert [(r["sku"], r["quantity"]) for r in report["by_product"]] == [("RYE", Decimal("3"))]
    csv_text = client.get(url, {"download": "products"}).content.decode("utf-8-sig")
    assert csv_text.splitlines()[1] == "RYE,Rye,3,2,9.00"
    bad = client.get(url, {"first_day": "2026-05-01", "last_day": "2026-01-01"})
    assert bad.status_code == 400 and "must not be before" in bad.content.decode()
