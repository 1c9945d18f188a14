"""Domain events: how the apps meet without importing each other in circles.

An app publishes what happened (`publish("order.ready", order=order)`) inside the transaction
that made it happen. Who reacts is listed in one place, `marketplace.subscriptions`:
- `in_transaction` subscribers run at once, in the same transaction: a reaction that must hold
  together with the change (the delivery job of a ready order, the points of a collected one).
  A subscriber may refuse the change by raising `Refused`; the publisher's transaction then
  rolls back, or the publisher turns the refusal into a message for the person.
- `after_commit` subscribers get an outbox row written in the same transaction and run after
  commit from the relay (`marketplace.outbox`): emails, calls to outside services, anything
  that must not happen unless the change was committed, and must not be lost if it was.

An app that needs an answer from an app that depends on it (orders asking what delivery costs)
asks a question with `ask("delivery.quote", ...)`; the registry names the one provider. So
orders imports none of the apps that react to it, and nothing imports in a circle.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.utils.module_loading import import_string

IN_TRANSACTION = "in_transaction"
AFTER_COMMIT = "after_commit"


class Refused(Exception):
    """A subscriber's refusal of a change, with a message for the person who asked and,
    when the refusal is about one thing they entered, the form field to show it at."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Subscriber:
    handler: str  # dotted path, resolved on first use and checked at start-up
    when: str
    mail: bool = False  # sends email: its outbox messages go to the "mail" queue


def in_transaction(handler: str) -> Subscriber:
    return Subscriber(handler, IN_TRANSACTION)


def after_commit(handler: str, *, mail: bool = False) -> Subscriber:
    return Subscriber(handler, AFTER_COMMIT, mail)


@dataclass
class Event:
    """What a subscriber receives. `payload` holds plain values (model instances become their
    ids: `order` → `order_id`) and is what the outbox stores. `objects` holds the live, locked
    instances, for in-transaction subscribers only. `id` is the outbox message id after commit:
    the key that makes a subscriber's work idempotent."""

    topic: str
    payload: dict[str, Any]
    objects: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    def __getitem__(self, key):
        return self.payload[key]


def subscribers(topic: str) -> list[Subscriber]:
    from . import subscriptions

    return subscriptions.SUBSCRIBERS.get(topic, [])


@functools.cache
def mail_handlers() -> frozenset[str]:
    """The after-commit subscribers that send email (`after_commit(..., mail=True)`)."""
    from . import subscriptions

    return frozenset(
        s.handler for subs in subscriptions.SUBSCRIBERS.values() for s in subs if s.mail
    )


@functools.cache
def resolve(path: str) -> Callable[[Event], Any]:
    return import_string(path)


def check_registry() -> None:
    """Every subscriber in the registry imports: a typo fails at start-up, not at 3 a.m."""
    from . import subscriptions

    for listed in subscriptions.SUBSCRIBERS.values():
        for subscriber in listed:
            resolve(subscriber.handler)
    for provider in subscriptions.PROVIDERS.values():
        resolve(provider)


def ask(question: str, **kwargs):
    """The answer of the one provider the registry names for `question`."""
    from . import subscriptions

    return resolve(subscriptions.PROVIDERS[question])(**kwargs)


def _plain(objects: dict[str, Any]) -> dict[str, Any]:
    payload = {}
    for key, value in objects.items():
        if isinstance(value, models.Model):
            payload[f"{key}_id"] = value.pk
        else:
            payload[key] = value
    return payload


def publish(topic: str, **objects) -> Event:
    """Announce `topic` inside the current transaction. In-transaction subscribers run now,
    in the registry's order, and may raise Refused (or any error) to undo the change; each
    after-commit subscriber gets an outbox message, relayed once the transaction commits."""
    if not connection.in_atomic_block:
        raise RuntimeError(f"publish({topic!r}) must run inside the transaction of the change")
    event = Event(topic=topic, payload=_plain(objects), objects=objects)
    listed = subscribers(topic)
    for subscriber in listed:
        if subscriber.when == IN_TRANSACTION:
            resolve(subscriber.handler)(event)
    later = [s.handler for s in listed if s.when == AFTER_COMMIT]
    if later:
        from .outbox import outbox_write

        outbox_write(topic=topic, payload=event.payload, handlers=later)
    return event


def refusal(topic: str, **objects) -> str | None:
    """Ask the in-transaction subscribers of a checking topic whether they would refuse;
    their message, or None. Checking subscribers only read, so this is safe for deciding which
    buttons to show as well as for enforcing the rule."""
    event = Event(topic=topic, payload=_plain(objects), objects=objects)
    for subscriber in subscribers(topic):
        if subscriber.when != IN_TRANSACTION:
            continue
        try:
            resolve(subscriber.handler)(event)
        except Refused as refused:
            return refused.message
    return None
