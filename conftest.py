"""Fixtures for every app's tests. Tests marked `postgres` prove something only Postgres can
(search, concurrency, constraints): on SQLite they skip locally, and fail under CI."""

import os

import pytest
from django.db import connection

# `redis_server`: a real redis-server the test can stop and start again; `celery_workers`:
# real worker processes on Redis, which a test can SIGKILL.
pytest_plugins = ["tests.fixtures.redis_server", "tests.fixtures.celery_workers"]


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


@pytest.fixture
def flaky_mail(monkeypatch):
    """The mail server refuses the sends whose numbers are in the returned set (1 = the
    first send of the test), as a real SMTP server that hiccups would."""
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send
    refused: set[int] = set()
    sends = {"n": 0}

    def send(message, *args, **kwargs):
        sends["n"] += 1
        if sends["n"] in refused:
            raise OSError("mail server hiccup")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", send)
    return refused


@pytest.fixture
def deliver_again():
    """Deliver a topic's outbox messages again: after a failure once their pause is over,
    after a success as when the worker died before marking them done. Their outcomes."""
    import datetime

    from django.utils import timezone

    from marketplace import outbox
    from marketplace.models import OutboxMessage

    def deliver(topic: str) -> list[str]:
        outcomes = []
        for message in OutboxMessage.objects.filter(topic=topic).order_by("pk"):
            OutboxMessage.objects.filter(pk=message.pk).update(
                state=OutboxMessage.State.PENDING, leased_until=None
            )
            due = max(message.available_at, timezone.now()) + datetime.timedelta(seconds=1)
            outcomes.append(outbox.outbox_deliver(message_id=message.pk, now=due))
        return outcomes

    return deliver
