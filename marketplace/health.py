"""Readiness: whether this process can serve pages now. The database answers, its migrations
are applied, the cache keeps a value and the broker takes a connection.

Each part is checked in its own thread and the answer waits at most READINESS_TIMEOUT_SECONDS:
a part that hangs (a half-open connection, a full backlog) is reported as "timeout" instead of
holding the load balancer's request. The threads are daemons, so a hung one never keeps a
process from exiting."""

import logging
import threading
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.migrations.executor import MigrationExecutor

from .celery import app as celery_app

logger = logging.getLogger(__name__)

OK = "ok"
FAILED = "failed"
TIMEOUT = "timeout"

# Migrations are applied before a release starts serving and never un-applied under it, so a
# positive answer is kept for the life of the process: polls then cost no migration loading.
_migrations_applied = False


class NotReady(Exception):
    """A part answered, but not as needed; its message is what /readyz reports."""


def database_unavailable(error: BaseException | None) -> bool:
    """True when an error, or one it was raised from, says the database cannot do the work
    now: unreachable, restarting, or a dropped connection. Trying again later helps."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def _check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_migrations() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise NotReady("unapplied")
    _migrations_applied = True


def _check_cache() -> None:
    # A key of its own per check: concurrent polls from several processes never mix.
    key, value = f"readyz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    try:
        if cache.get(key) != value:
            raise NotReady(FAILED)
    finally:
        cache.delete(key)


def _check_broker() -> None:
    # Whatever broker the Celery app is configured with (Redis, an embedded transport). The
    # socket timeouts bound a Redis that accepts the connection but never answers.
    timeout = settings.READINESS_TIMEOUT_SECONDS
    with celery_app.connection_for_read(
        connect_timeout=timeout,
        transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout},
    ) as connection:
        connection.ensure_connection(max_retries=0)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _check_database,
    "migrations": _check_migrations,
    "cache": _check_cache,
    "broker": _check_broker,
}


def readiness() -> dict[str, str]:
    """Each part's state: "ok", "failed", "timeout" or "unapplied" (migrations). Answers
    within READINESS_TIMEOUT_SECONDS whatever the parts do."""
    states = {name: TIMEOUT for name in CHECKS}

    def run(name: str, check: Callable[[], None]) -> None:
        try:
            check()
        except NotReady as not_ready:
            states[name] = str(not_ready)
        except Exception as error:
            # The details go to the log, not to whoever can reach the URL; one line, as a
            # load balancer asks every few seconds for as long as an outage lasts.
            logger.warning("Not ready: %s: %s: %s", name, type(error).__name__, error)
            states[name] = FAILED
        else:
            states[name] = OK
        finally:
            # This thread's own connection; persistent ones are kept by request threads only.
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(name, check), name=f"readyz-{name}", daemon=True)
        for name, check in CHECKS.items()
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + settings.READINESS_TIMEOUT_SECONDS
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    # A snapshot: a check that finishes after the deadline changes nothing already answered.
    return dict(states)


def is_ready(states: dict[str, str]) -> bool:
    return all(state == OK for state in states.values())
