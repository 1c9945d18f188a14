"""Thin tasks of the outbox: deliver one message; sweep up what is pending."""

from celery import shared_task

from . import outbox


@shared_task(acks_late=True)
def deliver_outbox_message_task(message_id: int) -> str:
    # Never raises for a subscriber's error: outbox_deliver records it and schedules the retry,
    # so a failing email cannot turn the request that relayed it into an error page.
    return outbox.outbox_deliver(message_id=message_id)


@shared_task(acks_late=True)
def deliver_outbox_mail_task(message_id: int) -> str:
    # The same delivery for a subscriber that sends email, under its own name so that
    # CELERY_TASK_ROUTES puts it on the "mail" queue.
    return outbox.outbox_deliver(message_id=message_id)


@shared_task
def sweep_outbox_task() -> int:
    return outbox.outbox_sweep()
