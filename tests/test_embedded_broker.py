"""The embedded setup's background work (`make run` without Redis): a real `celery worker -B`
on kombu's filesystem broker runs what the web process queued, even if it was queued before
the worker started, and beat runs the scheduled jobs (here: closing a vote that is due)."""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from governance import services
from governance.models import Proposal
from governance.tests.factories import member_shop
from marketplace.celery import app
from marketplace.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[1]
DEADLINE_SECONDS = 120

# The worker's settings: the development settings `make run` uses, with only the job under
# test scheduled, every second instead of every minute.
WORKER_SETTINGS = """
from marketplace.settings.dev import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {
    "close-due-proposals": {"task": "governance.tasks.close_due_proposals_task", "schedule": 1.0}
}
"""


@pytest.fixture
def filesystem_broker(tmp_path):
    """The test process queues tasks as the web process does without Redis: as files in
    the broker folder (BROKER_DIR), laid out as the settings lay it out."""
    broker_dir = tmp_path / "broker"
    for folder in ("queue", "control"):
        (broker_dir / folder).mkdir(parents=True)
    previous = {
        key: app.conf[key]
        for key in ("broker_url", "broker_transport_options", "task_always_eager")
    }
    app.conf.update(
        broker_url="filesystem://localhost/",
        broker_transport_options={
            "data_folder_in": str(broker_dir / "queue"),
            "data_folder_out": str(broker_dir / "queue"),
            "control_folder": str(broker_dir / "control"),
        },
        task_always_eager=False,
    )
    # Earlier tests published through the in-memory broker's producer pool; drop it.
    app.close()
    app.amqp._producer_pool = None
    try:
        yield broker_dir
    finally:
        app.conf.update(previous)
        app.close()
        app.amqp._producer_pool = None


def start_worker(tmp_path: Path, broker_dir: Path) -> subprocess.Popen:
    (tmp_path / "worker_settings.py").write_text(WORKER_SETTINGS)
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "worker_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "BROKER_DIR": str(broker_dir),
        "DEBUG": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
    }
    env.pop("REDIS_URL", None)
    # As `make run` starts it, with the schedule file in the test's folder.
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "marketplace",
            "worker",
            "-B",
            "--schedule-filename",
            str(tmp_path / "beat-schedule"),
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
    )


def stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=30)


@pytest.mark.postgres  # the worker process shares the test's database
@pytest.mark.django_db(transaction=True)
def test_without_redis_a_worker_with_beat_runs_queued_tasks_and_scheduled_jobs(
    filesystem_broker, tmp_path
):
    member, owner = member_shop()
    long_ago = timezone.now() - datetime.timedelta(days=60)
    proposal = services.proposal_create(
        user=owner,
        member_id=member.pk,
        kind="fee",
        title="Lower the fee",
        rationale="We earn more than we spend.",
        fee_percent="4.00",
        effective_on=services.earliest_effective_day(now=long_ago),
        now=long_ago,
    )
    # Its announcement was queued on commit and waits as a file: no worker runs yet.
    assert list((filesystem_broker / "queue").glob("*.msg"))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN
    announcements = OutboxMessage.objects.filter(
        topic__in=["governance.proposal_opened", "governance.proposal_closed"]
    )
    assert list(announcements.values_list("topic", "state")) == [
        ("governance.proposal_opened", OutboxMessage.State.PENDING)
    ]

    def announced() -> set[str]:
        return set(
            announcements.filter(state=OutboxMessage.State.DONE).values_list("topic", flat=True)
        )

    worker = start_worker(tmp_path, filesystem_broker)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline and worker.poll() is None:
            if len(announced()) == 2:
                break
            time.sleep(0.1)
    finally:
        stop(worker)

    # The queued announcement ran; beat closed the vote, whose period ended long ago; the
    # close published the result's announcement, which ran too.
    proposal.refresh_from_db()
    assert "governance.proposal_opened" in announced(), "the queued announcement did not run"
    assert proposal.closed_at is not None, "beat did not close the due vote"
    assert proposal.status != Proposal.Status.OPEN
    assert "governance.proposal_closed" in announced(), "the result was not announced"
