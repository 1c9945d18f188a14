"""Configuration comes from the environment; production settings pass Django's deploy check."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


# Set by the browser tests for Playwright's event loop; never in a deployment.
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def clean_environment() -> dict:
    return {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    clean = clean_environment()
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **clean_environment(),
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.prod",
            "SECRET_KEY": "k" * 20 + "-production-secret-from-the-environment-0123456789",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_python(
        "import django; django.setup()",
        DJANGO_SETTINGS_MODULE="marketplace.settings.prod",
        SECRET_KEY="",
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


SHOW = (
    "import django; django.setup(); from django.conf import settings as s; "
    "from marketplace.celery import app; "
    "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, "
    "app.conf.broker_url, app.conf.task_acks_late, app.conf.task_reject_on_worker_lost, "
    "s.DEFAULT_CURRENCY, s.LANGUAGE_CODE, s.SITE_NAME)"
)


def test_without_database_and_redis_urls_it_runs_embedded(tmp_path):
    broker_dir = tmp_path / "broker"
    result = run_python(
        SHOW, DJANGO_SETTINGS_MODULE="marketplace.settings.dev", BROKER_DIR=str(broker_dir)
    )
    assert result.returncode == 0, result.stderr
    engine, eager, broker, acks_late, reject, currency, language, name = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    # Tasks go to a worker through files, made ready at start; none run inside a request.
    assert eager == "False" and broker.startswith("filesystem://")
    assert (broker_dir / "queue").is_dir() and (broker_dir / "control").is_dir()
    assert (acks_late, reject) == ("True", "True")
    assert (currency, language, name) == ("EUR", "en", "Commonplace")


def test_database_redis_currency_language_and_name_come_from_the_environment():
    result = run_python(
        SHOW,
        DJANGO_SETTINGS_MODULE="marketplace.settings.dev",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/elsewhere",
        REDIS_URL="redis://127.0.0.1:6379/3",
        DEFAULT_CURRENCY="CHF",
        LANGUAGE_CODE="de",
        SITE_NAME="Marktplatz",
    )
    assert result.returncode == 0, result.stderr
    engine, eager, broker, *_, currency, language, name = result.stdout.split()
    assert engine == "django.db.backends.postgresql"
    assert eager == "False" and broker == "redis://127.0.0.1:6379/3"
    assert (currency, language, name) == ("CHF", "de", "Marktplatz")


def test_a_message_a_killed_worker_held_comes_back_after_the_longest_task_not_an_hour():
    result = run_python(
        "import django; django.setup(); from marketplace.celery import app; "
        "limits = [app.conf.task_time_limit]; "
        "limits += [a['time_limit'] for a in app.conf.task_annotations.values()]; "
        "print(app.conf.broker_transport_options['visibility_timeout'], max(limits))",
        DJANGO_SETTINGS_MODULE="marketplace.settings.dev",
        REDIS_URL="redis://127.0.0.1:6379/3",
    )
    assert result.returncode == 0, result.stderr
    visibility_timeout, longest_task = (int(n) for n in result.stdout.split())
    # Redis gives a running task's message to a second worker after the timeout: it must
    # outlast every task, and still be minutes, not kombu's default hour.
    assert longest_task < visibility_timeout <= 30 * 60


DATABASES_SHOWN = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({alias: [d['HOST'], d['NAME'], d['DISABLE_SERVER_SIDE_CURSORS']] "
    "for alias, d in s.DATABASES.items()})); print(s.CATALOGUE_READ_DATABASE)"
)


def test_without_a_replica_url_there_is_no_replica_and_catalogue_reads_go_to_default():
    result = run_python(
        DATABASES_SHOWN,
        DJANGO_SETTINGS_MODULE="marketplace.settings.dev",
        DATABASE_URL="postgres://app@pgbouncer:6432/commonplace",
    )
    assert result.returncode == 0, result.stderr
    databases, catalogue = result.stdout.splitlines()
    assert json.loads(databases) == {"default": ["pgbouncer", "commonplace", False]}
    assert catalogue == "default"


def test_a_replica_url_adds_the_replica_and_pooling_turns_off_server_side_cursors():
    result = run_python(
        DATABASES_SHOWN,
        DJANGO_SETTINGS_MODULE="marketplace.settings.dev",
        DATABASE_URL="postgres://app@pgbouncer:6432/commonplace",
        DATABASE_REPLICA_URL="postgres://app@postgres-replica:5432/commonplace",
        DISABLE_SERVER_SIDE_CURSORS="1",
    )
    assert result.returncode == 0, result.stderr
    databases, catalogue = result.stdout.splitlines()
    assert json.loads(databases) == {
        "default": ["pgbouncer", "commonplace", True],
        "replica": ["postgres-replica", "commonplace", True],
    }
    assert catalogue == "replica"
