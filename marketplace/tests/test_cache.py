"""The cache fails soft (marketplace.cache), on a real redis-server stopped mid-test: people
still log in, the till API still answers and still limits each token (per process), pages
using the cache answer; once Redis is back the cache uses it again."""

import logging
import threading
import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from shops import services
from shops.models import Synonym
from shops.tests.factories import ProductFactory, ShopFactory

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

DEADLINE_SECONDS = 20


def use_redis(settings, server, *, retry_after: float) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "marketplace.cache.FailSoftRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"retry_after": retry_after},
        }
    }


def in_redis(server, key: str) -> bool:
    with server.client() as client:
        return bool(client.exists(cache.make_key(key)))


def eventually(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"not within {DEADLINE_SECONDS} s: {what}"
        time.sleep(0.02)


def log_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_people_log_in_while_redis_is_down_and_failed_logins_are_still_limited(
    client, settings, redis_server
):
    use_redis(settings, redis_server, retry_after=5)
    person, other = UserFactory(), UserFactory()
    redis_server.stop()

    response = log_in(client, person.email, PASSWORD)

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == person.pk
    # The login limit counts in this process meanwhile: after five wrong passwords even
    # the right one waits.
    client.logout()
    for _ in range(5):
        assert log_in(client, other.email, "not-the-password").status_code == 200
    response = log_in(client, other.email, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_till_api_answers_and_limits_each_token_while_redis_is_down(
    client, settings, redis_server, monkeypatch
):
    use_redis(settings, redis_server, retry_after=5)
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    # One minute's window for the whole test, whenever the clock turns the minute.
    monkeypatch.setattr("shops.views.api.time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    shop = ShopFactory()
    ProductFactory(shop=shop, title="Rye loaf")
    _token, secret = services.api_token_create(shop=shop, name="Till", user=None)
    url = reverse("api:products", args=[shop.pk])

    def call():
        return client.get(url, headers={"Authorization": f"Bearer {secret}"})

    assert call().status_code == 200  # counted in Redis
    redis_server.stop()

    responses = [call() for _ in range(4)]

    # This process counts from zero: three more answers, then the limit.
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[0].json()["results"][0]["title"] == "Rye loaf"


def test_a_page_using_the_cache_answers_while_redis_is_down(client, settings, redis_server):
    use_redis(settings, redis_server, retry_after=5)
    Synonym.objects.create(term="spuds", alternatives="potatoes")
    ProductFactory(title="Waxy potatoes")
    redis_server.stop()

    # Search reads the node's synonyms through the cache.
    response = client.get(reverse("search"), {"q": "spuds"})

    assert response.status_code == 200
    assert "Waxy potatoes" in response.content.decode()


def test_the_cache_uses_redis_again_after_it_restarts(settings, redis_server):
    use_redis(settings, redis_server, retry_after=0.05)
    redis_server.stop()
    cache.set("import-progress", 250)
    assert cache.get("import-progress") == 250  # from this process's memory

    redis_server.start()

    def shared_again():
        cache.set("probe", True)
        return in_redis(redis_server, "probe")

    eventually(shared_again, "the cache writes to Redis again")
    # What was kept in memory meanwhile is dropped: Redis is the one copy again.
    assert cache.get("import-progress") is None
    cache.set("import-progress", 500)
    assert in_redis(redis_server, "import-progress")
    # Nor does it come back in the next outage.
    redis_server.stop()
    assert cache.get("import-progress") is None


def test_what_changed_while_redis_was_away_is_not_undone_when_it_returns(settings, redis_server):
    use_redis(settings, redis_server, retry_after=0.05)
    cache.set("shops-synonyms", ["from before"], 3600)
    with redis_server.client() as client:
        client.save()  # so the restarted server comes back holding the old value
    redis_server.stop()

    cache.delete("shops-synonyms")  # a synonym saved during the outage invalidates it
    redis_server.start()
    assert in_redis(redis_server, "shops-synonyms")

    eventually(
        lambda: cache.get("anything") is None and not in_redis(redis_server, "shops-synonyms"),
        "the invalidation made during the outage reaches Redis",
    )
    assert cache.get("shops-synonyms") is None


def test_after_a_failure_redis_is_left_alone_for_a_while_and_that_is_logged_once(
    settings, redis_server, caplog
):
    use_redis(settings, redis_server, retry_after=3600)
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="marketplace.cache"):
        for n in range(5):
            cache.set(f"key-{n}", n)
    redis_server.start()

    cache.set("after-the-restart", True)

    # Within the pause nothing goes to Redis, so requests do not each wait for it.
    assert not in_redis(redis_server, "after-the-restart")
    assert cache.get("after-the-restart") is True
    warnings = [r for r in caplog.records if r.name == "marketplace.cache"]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()


def test_a_hung_redis_does_not_hang_the_page(client, settings, redis_server):
    use_redis(settings, redis_server, retry_after=5)
    redis_server.pause()
    answered = []

    # In a thread, so a request that hangs fails this test instead of hanging the suite.
    def search():
        try:
            answered.append(client.get(reverse("search"), {"q": "potatoes"}).status_code)
        finally:
            connection.close()

    worker = threading.Thread(target=search, daemon=True)
    worker.start()
    worker.join(timeout=DEADLINE_SECONDS)
    answered_while_hung = list(answered)
    redis_server.resume()
    assert answered_while_hung == [200]
