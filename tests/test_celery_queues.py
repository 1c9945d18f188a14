"""Celery queues: email on "mail", courier assignment on "assignment", the rest on "celery".
Nothing is stranded: every queue a task can be routed to is consumed by a worker started
without -Q (as `make run` and the tests start it) and by one of docker-compose's workers, and
a task sent to each queue lands there alone and is taken by such a worker."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

from logistics.tasks import assign_waiting_jobs_task
from marketplace import outbox
from marketplace.celery import app
from marketplace.events import mail_handlers
from marketplace.subscriptions import SUBSCRIBERS
from marketplace.tasks import deliver_outbox_mail_task, deliver_outbox_message_task

from .fixtures.celery_workers import wait_for

ROOT = Path(__file__).resolve().parents[1]


def routed_queues() -> set[str]:
    routes = app.conf.task_routes or {}
    return {route["queue"] for route in routes.values()} | {app.conf.task_default_queue}


def queue_of(task) -> str:
    return app.amqp.router.route({}, task.name)["queue"].name


def test_mail_and_assignment_have_queues_of_their_own():
    assert queue_of(deliver_outbox_mail_task) == "mail"
    assert queue_of(assign_waiting_jobs_task) == "assignment"
    assert queue_of(deliver_outbox_message_task) == "celery"


def test_every_routed_queue_is_consumed_by_a_worker_started_without_queue_options():
    # `celery worker` without -Q consumes every queue in CELERY_TASK_QUEUES.
    assert routed_queues() <= set(app.amqp.queues)
    # ...each bound by a key of its own: a key shared by two queues copies a task into both.
    keys = [(q.exchange.name, q.routing_key) for q in app.amqp.queues.values()]
    assert len(set(keys)) == len(keys)


def worker_commands_in_makefile() -> list[str]:
    makefile = (ROOT / "Makefile").read_text()
    return [line for line in makefile.splitlines() if re.search(r"celery\S* -A \S+ worker", line)]


def test_make_run_and_the_test_workers_consume_every_queue():
    commands = worker_commands_in_makefile()
    assert commands, "the Makefile starts no worker"
    fixture = (ROOT / "tests" / "fixtures" / "celery_workers.py").read_text()
    for text in [*commands, fixture]:
        assert not re.search(r"""["'\s](-Q|--queues)\b""", text), text


def test_docker_compose_runs_a_worker_for_every_queue():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    consumed = set()
    for service in services.values():
        command = service.get("command") or []
        if "worker" not in command:
            continue
        arguments = shlex.split(" ".join(command))
        assert "-Q" in arguments, f"{command}: a compose worker names its queues"
        consumed |= set(arguments[arguments.index("-Q") + 1].split(","))
    assert consumed == set(app.amqp.queues)


def test_the_outbox_sends_email_as_the_mail_task_and_the_rest_as_the_general_one(monkeypatch):
    sent = []
    for task in (deliver_outbox_mail_task, deliver_outbox_message_task):
        monkeypatch.setattr(task, "apply_async", lambda args, task=task, **kw: sent.append(task))
    monkeypatch.setattr(outbox, "_broker_down_until", 0.0)
    outbox.relay(
        [(1, "orders.handlers.email_order_moved"), (2, "shops.handlers.make_photo_thumbnail")]
    )
    assert sent == [deliver_outbox_mail_task, deliver_outbox_message_task]


def test_every_subscriber_that_emails_is_marked_as_mail():
    handlers = {s.handler for subs in SUBSCRIBERS.values() for s in subs}
    named_for_mail = {
        h for h in handlers if h.rsplit(".", 1)[1].startswith(("email_", "announce_"))
    }
    assert named_for_mail and mail_handlers() == named_for_mail


@pytest.mark.django_db(transaction=True)
def test_a_worker_started_without_queue_options_takes_a_task_from_every_queue(celery_workers):
    # Queued before any worker runs: each task waits on its own queue, and only there.
    deliver_outbox_mail_task.delay(0)  # no such message: "skipped", nothing sent
    assign_waiting_jobs_task.delay()  # no waiting jobs: nothing assigned
    deliver_outbox_message_task.delay(0)
    with app.connection_for_write() as connection:
        client = connection.default_channel.client

        def lengths() -> dict[str, int]:
            return {name: client.llen(name) for name in app.amqp.queues}

        assert lengths() == {"celery": 1, "mail": 1, "assignment": 1}
        celery_workers()
        wait_for(lambda: set(lengths().values()) == {0}, what="every queue to be taken")
        channel = connection.default_channel
        wait_for(lambda: client.zcard(channel.unacked_index_key) == 0, what="every task done")
