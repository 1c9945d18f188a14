"""Background work through the real broker: a task enqueued on commit travels through Redis
to a Celery worker, which does the work; running it again changes nothing."""

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from marketplace.celery import app
from shops import services
from shops.models import ProductPhoto
from shops.tests.factories import ProductFactory

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def redis_worker(settings):
    """A real `celery worker` process on Redis, using the test database and media folder."""
    url = os.environ.get("REDIS_URL")
    if not url:
        message = "needs Redis: set REDIS_URL (CI always does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.dev",
        "DEBUG": "0",
        "REDIS_URL": url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        )
        if connection.vendor == "postgresql"
        else f"sqlite:///{database['NAME']}",
    }
    previous = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=url, task_always_eager=False)
    # Earlier tests ran tasks eagerly through the in-memory broker's producer pool; drop it
    # so messages go to Redis.
    app.close()
    app.amqp._producer_pool = None
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge("celery")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "marketplace",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.conf.update(previous)
        app.close()
        app.amqp._producer_pool = None


def a_picture() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (10, 120, 60)).save(buffer, format="PNG")
    return SimpleUploadedFile("shelf.png", buffer.getvalue(), content_type="image/png")


@pytest.mark.django_db(transaction=True)
def test_a_thumbnail_is_made_by_a_worker_through_redis(redis_worker):
    product = ProductFactory()
    photo = services.product_photo_add(product=product, upload=a_picture())
    # The service enqueued the task on commit; the worker picks it up from Redis.
    deadline = time.monotonic() + 60
    while not photo.thumbnail and time.monotonic() < deadline:
        time.sleep(0.1)
        photo.refresh_from_db()
    assert photo.thumbnail, "the worker did not make the thumbnail"
    name = photo.thumbnail.name
    with photo.thumbnail.open("rb") as thumb:
        assert Image.open(thumb).size == (480, 360)
    # Delivered twice (acks_late re-delivery), the task leaves the first result alone.
    services.product_photo_make_thumbnail(photo_id=photo.pk)
    assert ProductPhoto.objects.get(pk=photo.pk).thumbnail.name == name
