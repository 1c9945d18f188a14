"""Thin tasks: load by id, call a service. Each is safe to run twice (acks_late).
Emails and refunds after an order moves run from the outbox (orders.handlers)."""

from celery import shared_task

from . import services


@shared_task
def cancel_unpaid_orders_task() -> int:
    return services.purchase_cancel_unpaid()
