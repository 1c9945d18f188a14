"""Background work through the real broker: a task enqueued on commit travels through Redis
to a Celery worker, which does the work; running it again changes nothing."""

import collections
import datetime
import io
import os
import signal
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.utils import timezone
from PIL import Image

from marketplace import outbox
from marketplace.models import OutboxMessage, OutboxReceipt
from orders import services as order_services
from orders.tests.factories import cart_with, open_shop, pickup_request
from shops import services
from shops.models import ProductPhoto
from shops.tests.factories import ProductFactory

from .fake_smtp import FakeSMTPServer
from .fixtures.celery_workers import wait_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def redis_worker(celery_workers):
    """One real `celery worker` process on Redis."""
    return celery_workers()


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


@pytest.mark.parametrize("hang_on", [1, 2], ids=["first-email", "second-email"])
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_still_sends_the_confirmation_once_to_each_person(
    celery_workers, hang_on, monkeypatch, settings
):
    """The mail server swallows the first (or second) email of a purchase confirmation and
    never answers; the worker sending it is SIGKILLed. After its lease runs out the sweep hands
    the message to a new worker, and each person has each email exactly once."""
    monkeypatch.setattr(outbox, "_broker_down_until", 0.0)
    shop = open_shop(email="orders@hoof-and-herb.example")
    cart = cart_with([(ProductFactory(shop=shop, stock_quantity=5), "1")])
    with FakeSMTPServer(hang_on=hang_on) as smtp:
        smtp_env = {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
        }
        doomed = celery_workers(**smtp_env)
        purchase = order_services.checkout_place(
            cart=cart,
            customer=cart.user,
            request=pickup_request([shop], email="chris@example.org"),
        )
        order = purchase.orders.get()
        message = OutboxMessage.objects.get(topic="purchase.placed")

        assert smtp.hanging.wait(timeout=60), "the worker never reached the mail server"
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=30)

        # Killed mid-send: the swallowed email was not accepted, and the message is still
        # pending under the dead worker's lease, which the sweep respects until it runs out.
        served_before = smtp.recipients()
        assert served_before == ["chris@example.org"][: hang_on - 1]
        message.refresh_from_db()
        assert message.state == OutboxMessage.State.PENDING
        assert message.attempts == 1
        assert message.leased_until > timezone.now()
        before_lease_ends = message.leased_until - datetime.timedelta(seconds=1)
        assert outbox.outbox_sweep(now=before_lease_ends) == 0

        # Time passes (set up through the database): the lease runs out.
        passed = datetime.timedelta(
            seconds=settings.OUTBOX_LEASE_SECONDS + settings.OUTBOX_SWEEP_GRACE_SECONDS + 1
        )
        OutboxMessage.objects.filter(pk=message.pk).update(
            created_at=F("created_at") - passed,
            available_at=F("available_at") - passed,
            leased_until=F("leased_until") - passed,
        )
        celery_workers(**smtp_env)
        assert outbox.outbox_sweep() == 1  # through Redis to the new worker

        wait_for(
            lambda: OutboxMessage.objects.filter(
                pk=message.pk, state=OutboxMessage.State.DONE
            ).exists(),
            what="the new worker to deliver the confirmation",
        )
        got = collections.Counter(smtp.recipients())
        assert got == {"chris@example.org": 1, "orders@hoof-and-herb.example": 1}
        subjects = {m.recipients[0]: m.subject for m in smtp.accepted}
        assert str(purchase) in subjects["chris@example.org"]
        assert order.number in subjects["orders@hoof-and-herb.example"]
        assert OutboxReceipt.objects.filter(message=message).count() == 2

        # Sweeping again, even much later, hands nothing over and sends nothing.
        later = timezone.now() + datetime.timedelta(hours=1)
        assert outbox.outbox_sweep(now=later) == 0
        message.refresh_from_db()
        assert message.attempts == 2
        assert collections.Counter(smtp.recipients()) == got
