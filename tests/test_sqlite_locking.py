"""The embedded SQLite setup never answers "database is locked": write transactions take the
write lock when they begin (IMMEDIATE) and wait for it (timeout), as settings.SQLITE_OPTIONS
says. Real threads on a real database file; Postgres is not involved."""

import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import connections, transaction
from django.db.utils import OperationalError


@contextmanager
def _sqlite_alias(path, options):
    """A database alias on a real SQLite file, for this test only: transaction.atomic needs
    the alias registered where Django looks connections up."""
    alias = f"sqlite_locking_{path.stem}"
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": options}
    connections.settings[alias] = connections.configure_settings({"default": database})["default"]
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections.settings[alias]


def _increment_together(path, options, threads=8, rounds=15, pause_between=False):
    """Each thread reads the counter and writes it back plus one, in one transaction, like a
    request checking stock and then taking it. Returns the final count and the errors."""
    with _sqlite_alias(path, options) as alias:
        return _increment(alias, threads, rounds, pause_between)


def _increment(alias, threads, rounds, pause_between):
    with connections[alias].cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS counter (n integer)")
        cursor.execute("DELETE FROM counter")
        cursor.execute("INSERT INTO counter VALUES (0)")
    start = threading.Barrier(threads)
    between = threading.Barrier(threads, timeout=5)
    errors = []

    def work():
        connection = connections[alias]  # each thread has its own connection
        try:
            start.wait()
            for _ in range(rounds):
                with transaction.atomic(using=alias, savepoint=False):
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT n FROM counter")
                        (n,) = cursor.fetchone()
                        if pause_between:
                            between.wait()  # everyone has read: now all write at once
                        cursor.execute("UPDATE counter SET n = %s", [n + 1])
        except (OperationalError, threading.BrokenBarrierError) as error:
            errors.append(error)
            between.abort()
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        (count,) = cursor.fetchone()
    return count, errors


def test_the_settings_use_immediate_transactions_and_a_busy_timeout():
    assert settings.SQLITE_OPTIONS["transaction_mode"] == "IMMEDIATE"
    assert settings.SQLITE_OPTIONS["timeout"] >= 5
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        options = settings.DATABASES["default"]["OPTIONS"]
        assert options["transaction_mode"] == "IMMEDIATE"


def test_without_them_concurrent_writers_see_database_is_locked(tmp_path, django_db_blocker):
    # The failure the settings prevent: two transactions read, then both try to write.
    with django_db_blocker.unblock():
        count, errors = _increment_together(
            tmp_path / "plain.sqlite3", {"timeout": 5}, threads=2, rounds=1, pause_between=True
        )
    assert any("database is locked" in str(error) for error in errors)


def test_with_them_every_concurrent_write_lands(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        count, errors = _increment_together(tmp_path / "node.sqlite3", settings.SQLITE_OPTIONS)
    assert errors == []
    assert count == 8 * 15
