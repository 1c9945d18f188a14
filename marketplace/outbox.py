"""The transactional outbox: side effects written with the change, delivered after commit.

- `outbox_write` stores one message per after-commit subscriber in the business transaction.
- `relay` hands the new messages to Celery right after commit. If the broker is down it logs
  and returns: the request still succeeds, and the sweep delivers the messages later.
- `outbox_sweep` (beat, every minute) re-sends whatever is pending and due, so nothing waits
  on a message the broker lost.
- `outbox_deliver` takes a lease on the message, runs its subscriber, and only then marks it
  done. A worker killed midway leaves the lease to expire and the message is tried again; a
  subscriber sending to several people records each send (`once_per_recipient`), so the retry
  skips whoever already has it. A subscriber that raises is retried with a growing pause and,
  after its last try, stays "failed" with its error for an operator (admin → outbox).
"""

import datetime
import logging
import time
import traceback
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from .events import Event, mail_handlers, resolve
from .models import OutboxMessage, OutboxReceipt

log = logging.getLogger(__name__)

# After a failed relay the broker is left alone for a while: requests do not each pay for a
# connection timeout while it is down, and the sweep catches up once it is back.
_broker_down_until = 0.0


def lease_seconds() -> int:
    return settings.OUTBOX_LEASE_SECONDS


def outbox_write(*, topic: str, payload: dict, handlers: Iterable[str]) -> list[int]:
    """Store one message per subscriber in the current transaction; relayed after commit."""
    now = timezone.now()
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(topic=topic, handler=h, payload=payload, created_at=now, available_at=now)
        for h in handlers
    )
    transaction.on_commit(lambda: relay([(m.pk, m.handler) for m in messages]))
    return [m.pk for m in messages]


def relay(messages: Iterable[tuple[int, str]]) -> int:
    """Hand messages (id, handler) to the broker; never raises. How many were handed over.
    Email goes as its own task, which CELERY_TASK_ROUTES puts on the "mail" queue."""
    global _broker_down_until
    from .tasks import deliver_outbox_mail_task, deliver_outbox_message_task

    if time.monotonic() < _broker_down_until:
        return 0
    mail = mail_handlers()
    sent = 0
    for pk, handler in messages:
        task = deliver_outbox_mail_task if handler in mail else deliver_outbox_message_task
        try:
            task.apply_async((pk,), retry=False)
        except Exception:  # any broker failure: the message waits in the database
            _broker_down_until = time.monotonic() + settings.OUTBOX_BROKER_PAUSE_SECONDS
            log.warning("Broker unreachable; outbox message %s waits for the sweep", pk)
            return sent
        sent += 1
    return sent


def retry_pause(attempts: int) -> datetime.timedelta:
    """30 s, 1 min, 2 min … up to an hour between tries."""
    return datetime.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def outbox_deliver(*, message_id: int, now: datetime.datetime | None = None) -> str:
    """Run one message's subscriber under a lease. Returns what happened: "done", "retry",
    "failed", or "skipped" (already done, not yet due, or leased by another worker)."""
    now = now or timezone.now()
    claimed = (
        OutboxMessage.objects.filter(
            pk=message_id, state=OutboxMessage.State.PENDING, available_at__lte=now
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .update(
            leased_until=now + datetime.timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
        )
    )
    if not claimed:
        return "skipped"
    message = OutboxMessage.objects.get(pk=message_id)
    event = Event(topic=message.topic, payload=message.payload, id=message.pk)
    try:
        resolve(message.handler)(event)
    except Exception:
        error = traceback.format_exc(limit=20)[-8000:]
        log.exception("Outbox message %s (%s) failed", message.pk, message.handler)
        if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            state, outcome = OutboxMessage.State.FAILED, "failed"
        else:
            state, outcome = OutboxMessage.State.PENDING, "retry"
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=state,
            leased_until=None,
            last_error=error,
            available_at=timezone.now() + retry_pause(message.attempts),
        )
        return outcome
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxMessage.State.DONE, leased_until=None, done_at=timezone.now()
    )
    return "done"


def _due(*, now: datetime.datetime | None = None):
    now = now or timezone.now()
    grace = datetime.timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)
    return (
        OutboxMessage.objects.filter(
            state=OutboxMessage.State.PENDING, available_at__lte=now - grace
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
        .order_by("available_at")
    )


def outbox_due(*, now: datetime.datetime | None = None, limit: int = 1000) -> list[int]:
    """Pending messages that are due, unleased (or whose lease expired) and were not just
    relayed: a fresh message gets a short grace so the sweep does not queue it twice."""
    return list(_due(now=now).values_list("pk", flat=True)[:limit])


def outbox_sweep(*, now: datetime.datetime | None = None, limit: int = 1000) -> int:
    """Relay every due message again (beat). How many were handed to the broker."""
    global _broker_down_until
    _broker_down_until = 0.0  # the sweep runs in a worker: the broker is worth trying
    return relay(list(_due(now=now).values_list("pk", "handler")[:limit]))


def outbox_retry(*, message_ids: Iterable[int]) -> int:
    """An operator's "try again now" for failed or waiting messages."""
    messages = list(
        OutboxMessage.objects.filter(pk__in=list(message_ids))
        .exclude(state=OutboxMessage.State.DONE)
        .values_list("pk", "handler")
    )
    ids = [pk for pk, _ in messages]
    OutboxMessage.objects.filter(pk__in=ids).update(
        state=OutboxMessage.State.PENDING,
        attempts=0,
        available_at=timezone.now(),
        leased_until=None,
    )
    transaction.on_commit(lambda: relay(messages))
    return len(ids)


def once_per_recipient(event: Event, recipient: str, send: Callable[[], object]) -> bool:
    """Send to `recipient` unless this outbox message already did; record the send after it
    happened. A delivery killed between a send and its record resends to that one person only
    (at-least-once, never lost); a retry after any other failure skips everyone served."""
    if event.id is None:
        raise ValueError("once_per_recipient needs an outbox message (an after-commit event)")
    if OutboxReceipt.objects.filter(message_id=event.id, recipient=recipient).exists():
        return False
    send()
    # get_or_create: two deliveries may overlap after a lease expired; one record stays.
    OutboxReceipt.objects.get_or_create(message_id=event.id, recipient=recipient)
    return True
