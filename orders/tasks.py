"""Thin tasks: load by id, call a service. Each is safe to run twice (acks_late)."""

from celery import shared_task
from django.utils import timezone

from . import emails, services
from .models import Order, OrderEvent


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_order_event_email_task(event_id: int) -> bool:
    event = OrderEvent.objects.select_related("order__purchase", "order__shop").get(pk=event_id)
    if not event.from_status:
        return False  # the first event is covered by the purchase confirmation
    claimed = OrderEvent.objects.filter(pk=event_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return False
    try:
        emails.send_order_event(event)
    except Exception:
        OrderEvent.objects.filter(pk=event_id).update(notified_at=None)
        raise
    return True


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def refund_order_task(order_id: int) -> None:
    order = Order.objects.select_related("purchase").get(pk=order_id)
    if order.status != Order.Status.REFUNDED:
        services.payments.order_refund(order=order)


@shared_task
def cancel_unpaid_orders_task() -> int:
    return services.purchase_cancel_unpaid()
