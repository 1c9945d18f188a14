"""Catalogue reads go to the streaming replica; writes, and reads after a write, never do.

The test settings give a "replica" alias on the test database itself (Django's test mirror);
the `replica` fixture turns routing to it on, as DATABASE_REPLICA_URL does in production.
Each query is seen on the connection that ran it, so a query that went to the wrong database
fails the test even though both aliases hold the same rows."""

import re
import socket

import pytest
from django.core.cache import cache
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace import db_router
from marketplace.models import User
from orders.models import Cart
from shops.models import Product, Shop
from shops.tests.factories import CategoryFactory, ProductFactory, ShopFactory

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture
def replica(settings):
    settings.CATALOGUE_READ_DATABASE = "replica"
    cache.clear()  # a page cached by an earlier test would run no query at all


def catalogue_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if '"shops_' in q["sql"] and not WRITE.match(q["sql"])]


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if WRITE.match(q["sql"])]


def catalogue_pages(product: Product) -> list[tuple[str, str]]:
    """Each page, and the table it is mostly about."""
    return [
        (reverse("marketplace:home"), '"shops_shop"'),
        (reverse("search") + "?q=sourdough", '"shops_product"'),
        (reverse("search") + f"?category={product.category.slug}", '"shops_product"'),
        (reverse("shops:shop_list"), '"shops_shop"'),
        (reverse("shops:shop_detail", args=[product.shop.slug]), '"shops_product"'),
        (product.get_absolute_url(), '"shops_product"'),
    ]


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_catalogue_pages_read_the_catalogue_from_the_replica(client, replica):
    product = ProductFactory(
        title="Sourdough loaf", shop=ShopFactory(), category=CategoryFactory(slug="bread")
    )
    for url, table in catalogue_pages(product):
        with (
            CaptureQueriesContext(connections["replica"]) as on_replica,
            CaptureQueriesContext(connections["default"]) as on_default,
        ):
            response = client.get(url)
        assert response.status_code == 200, url
        read = catalogue_reads(on_replica.captured_queries)
        assert any(table in sql for sql in read), f"{url}: {table} not read on the replica"
        assert not writes(on_replica.captured_queries), url
        # Until a request writes, none of its catalogue reads go to the primary.
        if not writes(on_default.captured_queries):
            assert not catalogue_reads(on_default.captured_queries), url
    page = client.get(product.get_absolute_url())
    assert "Sourdough loaf" in page.content.decode()


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_a_write_goes_to_the_primary_and_pins_the_browser_there(client, replica):
    product = ProductFactory(title="Sourdough loaf")
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_default,
    ):
        response = client.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": "2"})
    assert response.status_code == 302
    assert on_replica.captured_queries == []
    assert any('"orders_cartline"' in sql for sql in writes(on_default.captured_queries))
    assert Cart.objects.get().lines.get().product == product
    # The browser that just wrote reads its next catalogue pages from the primary.
    assert db_router.PIN_COOKIE in response.cookies
    assert response.cookies[db_router.PIN_COOKIE]["max-age"] > 0
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(product.get_absolute_url()).status_code == 200
    assert on_replica.captured_queries == []


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_pages_outside_the_catalogue_never_use_the_replica(client, replica):
    product = ProductFactory()
    client.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": "1"})
    client.cookies.pop(db_router.PIN_COOKIE)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert client.get(reverse("orders:cart")).status_code == 200
    assert on_replica.captured_queries == []


def in_catalogue_request():
    return db_router._current.set(db_router._Request(catalogue=True))


def test_in_a_catalogue_request_only_catalogue_tables_are_read_from_the_replica(settings):
    settings.CATALOGUE_READ_DATABASE = "replica"
    token = in_catalogue_request()
    try:
        assert Product.objects.all().db == "replica"
        assert Shop.objects.all().db == "replica"
        # Sessions, users and carts stay on the primary: their rows change as people act.
        assert User.objects.all().db == "default"
        assert Cart.objects.all().db == "default"
        assert Product.objects.select_for_update().db == "default"
    finally:
        db_router._current.reset(token)
    # Outside a request (a Celery task, a command) nothing reads from the replica.
    assert Product.objects.all().db == "default"


def test_once_a_request_writes_its_reads_go_to_the_primary(settings):
    settings.CATALOGUE_READ_DATABASE = "replica"
    token = in_catalogue_request()
    try:
        assert Product.objects.all().db == "replica"
        assert db_router.CatalogueReplicaRouter().db_for_write(Product) == "default"
        assert Product.objects.all().db == "default"
    finally:
        db_router._current.reset(token)


@pytest.mark.django_db
def test_inside_a_transaction_reads_go_to_the_primary(settings):
    settings.CATALOGUE_READ_DATABASE = "replica"
    token = in_catalogue_request()
    try:
        with transaction.atomic():
            assert Product.objects.all().db == "default"
    finally:
        db_router._current.reset(token)


def test_without_a_replica_everything_goes_to_default():
    token = in_catalogue_request()
    try:
        assert Product.objects.all().db == "default"
    finally:
        db_router._current.reset(token)


def test_migrations_run_on_the_primary_only():
    router = db_router.CatalogueReplicaRouter()
    assert router.allow_migrate("default", "shops")
    assert not router.allow_migrate("replica", "shops")


def a_closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: refused


@pytest.fixture
def unreachable_replica(monkeypatch):
    """The replica alias pointed at a port nothing listens on, as when the replica is down."""
    monkeypatch.setattr(db_router, "_replica_down_until", 0.0)
    replica = connections["replica"]
    replica.close()
    monkeypatch.setitem(replica.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(replica.settings_dict, "PORT", a_closed_port())
    yield replica
    replica.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_with_the_replica_down_catalogue_pages_come_from_the_primary(
    client, replica, unreachable_replica, monkeypatch
):
    product = ProductFactory(title="Sourdough loaf")
    attempts = []
    connect = type(unreachable_replica).connect
    monkeypatch.setattr(
        unreachable_replica, "connect", lambda: attempts.append(1) or connect(unreachable_replica)
    )
    with CaptureQueriesContext(connections["default"]) as on_default:
        response = client.get(product.get_absolute_url())
    assert response.status_code == 200
    assert "Sourdough loaf" in response.content.decode()
    assert any('"shops_product"' in sql for sql in catalogue_reads(on_default.captured_queries))
    assert attempts == [1]
    # The next pages do not wait for the replica again for a while.
    assert client.get(reverse("shops:shop_list")).status_code == 200
    assert attempts == [1]
