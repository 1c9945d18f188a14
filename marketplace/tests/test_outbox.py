"""The transactional outbox: a side effect exists exactly when its change does, is delivered
after commit, survives a broker outage, is retried with a pause, and reaches each recipient
once."""

import datetime
import socket

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from marketplace import events, outbox, subscriptions
from marketplace.models import OutboxMessage, OutboxReceipt
from marketplace.tests.broker import celery_broker
from marketplace.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

calls: list[tuple[str, dict]] = []
failures_left = {"count": 0}


def note_it(event):
    calls.append((event.topic, dict(event.payload)))


def fail_then_succeed(event):
    if failures_left["count"] > 0:
        failures_left["count"] -= 1
        raise OSError("SMTP server said no")
    calls.append((event.topic, dict(event.payload)))


def refuse_big_orders(event):
    if event.objects["amount"] > 10:
        raise events.Refused("Too big for the bike.", field="amount")


def greet_two_people_and_crash_once(event):
    """Sends to two people; the first delivery dies after the first send."""
    for address in ("ada@example.org", "bo@example.org"):
        outbox.once_per_recipient(
            event, address, lambda a=address: mail.send_mail("Hello", "Hi!", None, [a])
        )
        if failures_left["count"] > 0:
            failures_left["count"] -= 1
            raise ConnectionResetError("worker died mid-send")


@pytest.fixture(autouse=True)
def test_topics(monkeypatch):
    calls.clear()
    failures_left["count"] = 0
    registry = {
        **subscriptions.SUBSCRIBERS,
        "test.noted": [events.after_commit(f"{__name__}.note_it")],
        "test.flaky": [events.after_commit(f"{__name__}.fail_then_succeed")],
        "test.checked": [events.in_transaction(f"{__name__}.refuse_big_orders")],
        "test.greeting": [events.after_commit(f"{__name__}.greet_two_people_and_crash_once")],
    }
    monkeypatch.setattr(subscriptions, "SUBSCRIBERS", registry)
    monkeypatch.setattr(outbox, "_broker_down_until", 0.0)


def test_every_subscriber_in_the_registry_exists():
    events.check_registry()  # raises ImportError for a typo


@pytest.mark.django_db(transaction=True)
def test_publishing_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        events.publish("test.noted", thing=1)


def test_a_rolled_back_change_leaves_no_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish("test.noted", thing=1)
            raise RuntimeError("the change failed after publishing")
    assert not OutboxMessage.objects.exists()
    assert calls == []


def test_a_committed_change_is_delivered_after_commit(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            events.publish("test.noted", person=user, amount=3)
        # Written with the change, not yet run: the transaction has not committed.
        message = OutboxMessage.objects.get()
        assert message.payload == {"person_id": user.pk, "amount": 3}
        assert calls == []
    for callback in callbacks:
        callback()
    assert calls == [("test.noted", {"person_id": user.pk, "amount": 3})]
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DONE
    assert message.attempts == 1


def test_a_subscriber_can_refuse_and_be_asked_beforehand():
    assert events.refusal("test.checked", amount=11) == "Too big for the bike."
    assert events.refusal("test.checked", amount=2) is None
    with pytest.raises(events.Refused) as refused, transaction.atomic():
        events.publish("test.checked", amount=11)
    # The refusal names the field it is about, so a form shows it there.
    assert refused.value.field == "amount"
    assert events.Refused("No.").field is None


def test_a_failing_subscriber_is_retried_after_a_pause_then_succeeds(
    django_capture_on_commit_callbacks,
):
    failures_left["count"] = 1
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish("test.flaky", n=1)
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.PENDING
    assert "SMTP server said no" in message.last_error
    assert message.available_at > timezone.now()
    # Not due yet: the sweep leaves it alone.
    assert outbox.outbox_sweep() == 0
    later = message.available_at + datetime.timedelta(minutes=1)
    assert outbox.outbox_deliver(message_id=message.pk, now=later) == "done"
    assert calls == [("test.flaky", {"n": 1})]


def test_after_its_last_try_a_message_is_failed_and_shown_to_operators(
    client, django_capture_on_commit_callbacks, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    failures_left["count"] = 5
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish("test.flaky", n=1)
    message = OutboxMessage.objects.get()
    far = timezone.now() + datetime.timedelta(days=1)
    assert outbox.outbox_deliver(message_id=message.pk, now=far) == "failed"
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.FAILED
    assert outbox.outbox_deliver(message_id=message.pk, now=far) == "skipped"

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:marketplace_outboxmessage_change", args=[message.pk]))
    assert "SMTP server said no" in page.content.decode()
    failures_left["count"] = 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:marketplace_outboxmessage_changelist"),
            {"action": "try_again_now", "_selected_action": [message.pk]},
        )
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DONE
    assert calls == [("test.flaky", {"n": 1})]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker_down():
    """A real broker URL nobody listens on: relaying meets a refused connection."""
    with celery_broker(f"redis://127.0.0.1:{_closed_port()}/0"):
        yield


def test_a_broker_outage_delays_delivery_and_loses_nothing(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish("test.noted", n=1)  # the commit's relay fails quietly
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.PENDING
    assert calls == []
    # While the broker is still down the sweep cannot hand it over either.
    later = timezone.now() + datetime.timedelta(minutes=1)
    assert outbox.outbox_sweep(now=later) == 0


def test_the_sweep_delivers_what_the_broker_lost(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        events.publish("test.noted", n=2)  # committed, relay never ran (a lost message)
    assert outbox.outbox_sweep() == 0  # just written: within the grace, the relay has it
    assert outbox.outbox_sweep(now=timezone.now() + datetime.timedelta(minutes=1)) == 1
    assert calls == [("test.noted", {"n": 2})]
    assert OutboxMessage.objects.get().state == OutboxMessage.State.DONE


def test_a_leased_message_waits_for_its_lease_then_is_retried(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        events.publish("test.noted", n=3)
    message = OutboxMessage.objects.get()
    now = timezone.now()
    # A worker took it and died: the lease is held, nobody else may run it meanwhile.
    OutboxMessage.objects.filter(pk=message.pk).update(
        leased_until=now + datetime.timedelta(minutes=5), attempts=1
    )
    assert outbox.outbox_deliver(message_id=message.pk, now=now) == "skipped"
    assert outbox.outbox_due(now=now + datetime.timedelta(minutes=1)) == []
    expired = now + datetime.timedelta(minutes=6)
    assert outbox.outbox_due(now=expired) == [message.pk]
    assert outbox.outbox_deliver(message_id=message.pk, now=expired) == "done"
    assert calls == [("test.noted", {"n": 3})]


def test_each_recipient_gets_the_message_once_across_retries(django_capture_on_commit_callbacks):
    failures_left["count"] = 1
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish("test.greeting")
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    message = OutboxMessage.objects.get()
    later = message.available_at + datetime.timedelta(seconds=1)
    assert outbox.outbox_deliver(message_id=message.pk, now=later) == "done"
    assert [m.to for m in mail.outbox] == [["ada@example.org"], ["bo@example.org"]]
    assert OutboxReceipt.objects.filter(message=message).count() == 2


def answer_the_fee(*, day):
    return f"fee on {day}"


def test_a_question_is_answered_by_its_one_provider(monkeypatch):
    providers = {**subscriptions.PROVIDERS, "test.fee": f"{__name__}.answer_the_fee"}
    monkeypatch.setattr(subscriptions, "PROVIDERS", providers)
    assert events.ask("test.fee", day="Monday") == "fee on Monday"
