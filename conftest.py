"""Fixtures for every app's tests. Tests marked `postgres` prove something only Postgres can
(search, concurrency, constraints): on SQLite they skip locally, and fail under CI."""

import os

import pytest
from django.db import connection

# `redis_server`: a real redis-server the test can stop and start again.
pytest_plugins = ["tests.fixtures.redis_server"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("postgres") or item.get_closest_marker("browser"):
            item.fixturenames.append("_require_postgres_for_marker")


@pytest.fixture
def _require_postgres_for_marker(request):
    needs_postgres = request.node.get_closest_marker("postgres") is not None
    if needs_postgres and connection.vendor != "postgresql":
        message = "needs Postgres: set DATABASE_URL (CI always does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def shop(db):
    from shops.tests.factories import ShopFactory

    return ShopFactory()


@pytest.fixture
def member_of_shop(db, shop):
    from marketplace.tests.factories import UserFactory
    from shops.tests.factories import ShopMembershipFactory

    user = UserFactory()
    ShopMembershipFactory(shop=shop, user=user, role="owner")
    return user


@pytest.fixture(autouse=True)
def _empty_cache():
    # Claims and rate limits kept in the cache must not leak from one test into the next.
    from django.core.cache import cache

    cache.clear()
    yield
