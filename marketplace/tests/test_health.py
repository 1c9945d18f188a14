"""/healthz says the process answers; /readyz says whether the parts it needs answer, naming
each one, within a deadline even when a part hangs. Parts fail for real here: a cache and a
broker at a local port nobody listens on, one that accepts and never answers, a migration
missing from the database."""

import socket
import time

import pytest
from django.db.migrations.recorder import MigrationRecorder

from marketplace import health
from marketplace.celery import app as celery_app

PARTS = {"database", "migrations", "cache", "broker"}


@pytest.fixture(autouse=True)
def _generous_deadline(settings):
    # Parts that answer make /readyz return at once; the deadline only matters for a part that
    # hangs, and a busy machine must not turn a slow answer into a failure.
    settings.READINESS_TIMEOUT_SECONDS = 30


@pytest.fixture
def refused_port():
    """A local port bound but not listening: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port():
    """A local port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def redis_cache_at(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
        }
    }


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_readyz_reports_every_part_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {part: "ok" for part in PARTS}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_names_a_cache_nobody_answers_for(client, settings, refused_port):
    settings.CACHES = redis_cache_at(refused_port)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "migrations": "ok",
        "cache": "failed",
        "broker": "ok",
    }


@pytest.mark.django_db
def test_readyz_names_a_broker_nobody_answers_for(client, monkeypatch, refused_port):
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://127.0.0.1:{refused_port}/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "migrations": "ok",
        "cache": "ok",
        "broker": "failed",
    }


@pytest.mark.django_db
def test_readyz_answers_within_its_deadline_when_a_part_hangs(
    client, settings, monkeypatch, silent_port
):
    settings.READINESS_TIMEOUT_SECONDS = 1
    settings.CACHES = redis_cache_at(silent_port)
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis://127.0.0.1:{silent_port}/0")
    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    states = response.json()
    assert states["cache"] == "timeout"
    # The broker's own socket timeout equals the deadline: whichever comes first.
    assert states["broker"] in {"timeout", "failed"}
    assert (states["database"], states["migrations"]) == ("ok", "ok")
    assert elapsed < 10


@pytest.mark.django_db(transaction=True)
def test_readyz_names_migrations_missing_from_the_database(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)
    # The app's newest migration, as after a release whose migrations did not run yet.
    latest = MigrationRecorder.Migration.objects.filter(app="marketplace").order_by("-name")[0]
    latest.delete()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["migrations"] == "unapplied"
    finally:
        MigrationRecorder.Migration.objects.create(app=latest.app, name=latest.name)
    assert client.get("/readyz").status_code == 200
