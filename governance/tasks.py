"""Thin tasks: load by id, call a service. Each is safe to run twice (acks_late).
Announcements are sent from the outbox (governance.handlers)."""

from celery import shared_task

from . import services


@shared_task
def close_due_proposals_task() -> int:
    """Beat: close the proposals whose voting period has ended."""
    return services.proposals_close_due()
