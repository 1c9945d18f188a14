"""Pointing the project's Celery app at a real broker for one test, and back."""

import contextlib

from marketplace.celery import app


@contextlib.contextmanager
def celery_broker(url: str):
    """Tasks go to the broker at `url` (not run eagerly) until the block ends."""
    previous = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=url, task_always_eager=False)
    _drop_broker_connections()
    try:
        yield app
    finally:
        app.conf.update(previous)
        _drop_broker_connections()


def _drop_broker_connections() -> None:
    """Forget the app's pools of connections to the previous broker, so the next message goes
    to the one now configured (kombu keeps one pool per broker URL and hands the right one
    back). Not `app.close()`: it also deregisters the app, and a `@shared_task` module first
    imported after that (shops.tasks is imported on first use) never registers with it, so
    its task is `NotRegistered` in every later test."""
    app._pool = None
    app.amqp._producer_pool = None
