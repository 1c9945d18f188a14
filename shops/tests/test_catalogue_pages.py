"""The public catalogue pages: their queries stay flat, what they keep in the cache goes
when the catalogue changes, and what a signed-in person sees is never kept for others."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money

from marketplace.tests.factories import UserFactory
from shops import services
from shops.catalogue_cache import CSRF_PLACEHOLDER
from shops.models import ProductPhoto
from shops.services.stock import StockChange, stock_adjust

from .factories import CategoryFactory, OpeningHoursFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


def cards(response) -> int:
    return response.content.decode().count('class="card product-card"')


def products(count: int, **fields):
    shop = fields.pop("shop", None) or ShopFactory()
    OpeningHoursFactory(shop=shop)
    made = [ProductFactory(shop=shop, title=f"Loaf {n:02}", **fields) for n in range(count)]
    for product in made:
        ProductPhoto.objects.create(product=product, image="products/loaf.jpg", alt_text="A loaf")
    return made


# Queries: flat in page size on a first view, none when the page is kept ----------------------


@pytest.mark.parametrize("count", [1, 24])
def test_category_listing_queries_do_not_grow_with_products(
    client, django_assert_num_queries, count
):
    food = CategoryFactory(slug="food", name="Food")
    bread = CategoryFactory(slug="bread", name="Bread", parent=food)
    products(count, category=bread)
    # The category and its ids, the count, the page, its photos; the filter form's choices
    # (categories, shops, labels) are read once for every search page.
    with django_assert_num_queries(8):
        response = client.get(reverse("search"), {"category": "food"})
    assert cards(response) == count
    with django_assert_num_queries(0):
        again = client.get(reverse("search"), {"category": "food"})
    assert cards(again) == count


@pytest.mark.parametrize("count", [1, 24])
def test_empty_search_queries_do_not_grow_with_products(client, django_assert_num_queries, count):
    products(count)
    # The count, the page, its photos; the filter form's choices (categories, shops, labels).
    with django_assert_num_queries(6):
        response = client.get(reverse("search"))
    assert cards(response) == count


@pytest.mark.parametrize("count", [1, 5])
def test_product_page_queries_do_not_grow_with_photos_and_labels(
    client, django_assert_num_queries, count
):
    product = products(1)[0]
    for n in range(count - 1):
        ProductPhoto.objects.create(product=product, image=f"products/{n}.jpg", position=n + 1)
    from .factories import LabelFactory

    product.labels.set([LabelFactory() for _ in range(count)])
    # The shop with its labels, hours and closures (whether it is open); the product with
    # its shop and category; photos; labels.
    with django_assert_num_queries(7):
        response = client.get(product.get_absolute_url())
    assert response.content.decode().count("<img ") == count
    with django_assert_num_queries(0):
        assert client.get(product.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("count", [1, 8])
def test_home_page_queries_do_not_grow_with_shops(client, django_assert_num_queries, count):
    for _ in range(count):
        OpeningHoursFactory(shop=ShopFactory())
    # Shops; their labels, hours and closures; how many; top categories.
    with django_assert_num_queries(6):
        response = client.get(reverse("marketplace:home"))
    assert response.status_code == 200
    with django_assert_num_queries(0):
        client.get(reverse("marketplace:home"))


def test_a_kept_shop_page_runs_no_query(client, django_assert_num_queries):
    shop = products(3)[0].shop
    client.get(shop.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.get(shop.get_absolute_url())
    assert cards(response) == 3


# What is kept goes when the catalogue changes ---------------------------------------------------


def test_a_changed_title_price_and_stock_show_on_the_pages_at_once(
    client, django_capture_on_commit_callbacks
):
    food = CategoryFactory(slug="food", name="Food")
    product = products(1, category=food)[0]
    listing = reverse("search") + "?category=food"
    for url in (product.get_absolute_url(), product.shop.get_absolute_url(), listing):
        assert "Loaf 00" in client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        services.product_update(product=product, title="Rye loaf", price=Money("5.20", "EUR"))
    for url in (product.get_absolute_url(), product.shop.get_absolute_url(), listing):
        body = client.get(url).content.decode()
        assert "Rye loaf" in body and "Loaf 00" not in body
        assert "5.20" in body

    with django_capture_on_commit_callbacks(execute=True):
        stock_adjust(shop=product.shop, changes=[StockChange(index=0, sku=product.sku, on_hand=0)])
    assert "Out of stock" in client.get(product.get_absolute_url()).content.decode()
    assert "Out of stock" in client.get(listing).content.decode()


def test_a_product_taken_offline_leaves_the_listing_and_its_page(client):
    product = products(1)[0]
    assert cards(client.get(reverse("search"))) == 1
    assert client.get(product.get_absolute_url()).status_code == 200
    services.product_bulk_update(shop=product.shop, product_ids=[product.pk], action="deactivate")
    assert cards(client.get(reverse("search"))) == 0
    assert client.get(product.get_absolute_url()).status_code == 404


def test_the_category_listing_count_follows_new_products(client):
    food = CategoryFactory(slug="food", name="Food")
    products(2, category=food)
    assert "2 products" in client.get(reverse("search"), {"category": "food"}).content.decode()
    ProductFactory(category=food, shop=ShopFactory())
    assert "3 products" in client.get(reverse("search"), {"category": "food"}).content.decode()


def test_a_sale_shows_the_new_stock_without_counting_the_listing_again(client):
    food = CategoryFactory(slug="food", name="Food")
    product = products(2, category=food)[0]
    listing = reverse("search") + "?category=food"
    client.get(listing)
    stock_adjust(shop=product.shop, changes=[StockChange(index=0, sku=product.sku, on_hand=0)])
    with CaptureQueriesContext(connection) as queries:
        body = client.get(listing).content.decode()
    assert "Out of stock" in body and "2 products" in body
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]]
    # Only "in stock only" follows sales in its count.
    in_stock = client.get(listing + "&in_stock=on").content.decode()
    assert "1 product" in in_stock


# HTTP validators, and nothing shared from signed-in people --------------------------------------


def test_a_visitor_asking_again_gets_not_modified_until_the_product_changes(client):
    product = products(1)[0]
    first = client.get(product.get_absolute_url())
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert "private" in first.headers["Cache-Control"]
    assert "Cookie" in first.headers["Vary"]

    again = client.get(product.get_absolute_url(), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""

    product.stock_quantity = Decimal("3")
    product.save()
    changed = client.get(product.get_absolute_url(), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "In stock: 3" in changed.content.decode()
    assert changed.headers["ETag"] != etag


@pytest.mark.parametrize("page", ["product", "shop", "home", "search"])
def test_each_catalogue_page_answers_a_repeated_visit_with_not_modified(client, page):
    product = products(1)[0]
    url = {
        "product": product.get_absolute_url(),
        "shop": product.shop.get_absolute_url(),
        "home": reverse("marketplace:home"),
        "search": reverse("search") + "?q=loaf",
    }[page]
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_a_kept_page_carries_each_visitors_own_working_csrf_token():
    product = products(1)[0]
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(product.get_absolute_url())  # now kept
    page = second.get(product.get_absolute_url()).content.decode()
    assert CSRF_PLACEHOLDER not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    added = second.post(
        reverse("orders:cart_add", args=[product.pk]),
        {"quantity": "1", "csrfmiddlewaretoken": token},
    )
    assert added.status_code == 302
    cart = second.get(reverse("orders:cart")).content.decode()
    assert "Loaf 00" in cart


def test_a_signed_in_persons_page_is_neither_kept_for_visitors_nor_marked_shareable(client):
    product = products(1)[0]
    person = UserFactory(email="ada@example.org")
    signed_in = Client()
    signed_in.force_login(person)
    signed_in.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": "2"})

    theirs = signed_in.get(product.get_absolute_url())
    assert "Log out" in theirs.content.decode()
    assert 'class="badge"' in theirs.content.decode()
    assert "private" in theirs.headers["Cache-Control"]
    assert "ETag" not in theirs.headers

    visitors = client.get(product.get_absolute_url()).content.decode()
    assert "Log out" not in visitors and 'class="badge"' not in visitors
    # And the other way round: a page kept for visitors is not what a signed-in person gets.
    again = signed_in.get(product.get_absolute_url()).content.decode()
    assert "Log out" in again and 'class="badge"' in again


def test_a_visitor_with_a_cart_sees_its_count_not_the_kept_page(client):
    product = products(1)[0]
    Client().get(product.get_absolute_url())  # kept for visitors without a session
    client.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": "1"})
    page = client.get(product.get_absolute_url())
    assert 'class="badge"' in page.content.decode()
    assert "ETag" not in page.headers


def test_htmx_fragment_and_full_page_are_kept_apart(client):
    products(1)
    full = client.get(reverse("search"), {"q": "loaf"}).content.decode()
    fragment = client.get(reverse("search"), {"q": "loaf"}, headers={"HX-Request": "true"})
    assert "<html" in full
    assert "<html" not in fragment.content.decode() and "Loaf 00" in fragment.content.decode()
    assert "<html" in client.get(reverse("search"), {"q": "loaf"}).content.decode()
