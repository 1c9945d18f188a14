"""Background work through the real broker: a task enqueued on commit travels through Redis
to a Celery worker, which does the work; running it again changes nothing."""

import io
import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from marketplace.celery import app
from shops import services
from shops.models import ProductPhoto
from shops.tests.factories import ProductFactory


@pytest.fixture
def redis_worker():
    url = os.environ.get("REDIS_URL")
    if not url:
        message = "needs Redis: set REDIS_URL (CI always does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    previous = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=url, task_always_eager=False)
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("celery")
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.update(previous)


def a_picture() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (10, 120, 60)).save(buffer, format="PNG")
    return SimpleUploadedFile("shelf.png", buffer.getvalue(), content_type="image/png")


@pytest.mark.django_db(transaction=True)
def test_a_thumbnail_is_made_by_a_worker_through_redis(redis_worker):
    product = ProductFactory()
    photo = services.product_photo_add(product=product, upload=a_picture())
    # The service enqueued the task on commit; the worker picks it up from Redis.
    deadline = time.monotonic() + 20
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
