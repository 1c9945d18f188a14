"""Payments: start at the provider, confirm from its webhook, cancel what stays unpaid,
refund. No database lock is held while a provider is called."""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import events

from ..exceptions import InvalidTransition, PaymentError, WrongPickupCode
from ..models import Order, Payment, Purchase, WebhookEvent
from ..payments import get_provider
from .transitions import order_transition


def payment_start(*, purchase: Purchase, return_url: str, cancel_url: str) -> str | None:
    """Where to send the customer to pay, or None when nothing is paid online. Safe to call
    again (a double click): the first session's address is returned."""
    # Paying at pickup or on delivery: nothing to look up (a purchase has one way to pay).
    if not get_provider(purchase.payment_method).pays_up_front:
        return None
    payment = purchase.payments.filter(status=Payment.Status.PENDING).order_by("pk").first()
    if payment is None:
        return None
    if payment.redirect_url:
        return payment.redirect_url
    provider = get_provider(payment.provider)
    # Outside any transaction: the provider is called with no row locked.
    result = provider.start(
        purchase=purchase, payment=payment, return_url=return_url, cancel_url=cancel_url
    )
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk, provider_reference__isnull=True).update(
            provider_reference=result.reference, redirect_url=result.redirect_url or ""
        )
    payment.refresh_from_db()
    return payment.redirect_url or None


def _record_event(provider: str, event_id: str) -> bool:
    """False if the event was handled before. Must run inside the caller's transaction, so
    the row and the change it stands for commit together."""
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(provider=provider, event_id=event_id)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def payment_succeeded(
    *, provider: str, reference: str, event_id: str, provider_payment_id: str = ""
) -> Payment | None:
    """The provider says the payment went through: the orders go to the shops. The same
    event any number of times, concurrently or late, counts once."""
    if not _record_event(provider, event_id):
        return None
    payment = (
        Payment.objects.select_for_update()
        .filter(provider=provider, provider_reference=reference)
        .first()
    )
    if payment is None or payment.status != Payment.Status.PENDING:
        return payment
    payment.status = Payment.Status.SUCCEEDED
    payment.provider_payment_id = provider_payment_id
    payment.save(update_fields=["status", "provider_payment_id", "updated_at"])
    for order in payment.purchase.orders.order_by("pk"):
        if order.status == Order.Status.AWAITING_PAYMENT:
            order_transition(order=order, to_status=Order.Status.PLACED, note=_("Paid by card."))
        elif order.status == Order.Status.CANCELLED:
            # Paid after the unpaid timeout cancelled it: the money goes back (from the outbox).
            events.publish("order.paid_when_cancelled", order=order, payment=payment)
    return payment


@transaction.atomic
def payment_failed(*, provider: str, reference: str, event_id: str) -> Payment | None:
    """The provider gave up (session expired): cancel the orders and release their stock."""
    if not _record_event(provider, event_id):
        return None
    payment = (
        Payment.objects.select_for_update()
        .filter(provider=provider, provider_reference=reference)
        .first()
    )
    if payment is None or payment.status != Payment.Status.PENDING:
        return payment
    payment.status = Payment.Status.FAILED
    payment.save(update_fields=["status", "updated_at"])
    _cancel_unpaid_orders(payment.purchase, _("The card payment did not go through."))
    return payment


@transaction.atomic
def _cancel_unpaid_orders(purchase: Purchase, note: str) -> None:
    # Every unpaid order of the purchase is locked before any is cancelled, so a customer
    # cancelling one of them at the same moment waits instead of deadlocking on the window.
    unpaid = list(
        purchase.orders.select_for_update()
        .filter(status=Order.Status.AWAITING_PAYMENT)
        .order_by("pk")
    )
    for order in unpaid:
        order_transition(order=order, to_status=Order.Status.CANCELLED, note=note)


def purchase_cancel_unpaid(*, now: datetime.datetime | None = None) -> int:
    """Cancel card orders left unpaid past the timeout; returns how many purchases."""
    cutoff = (now or timezone.now()) - datetime.timedelta(
        minutes=settings.UNPAID_ORDER_TIMEOUT_MINUTES
    )
    purchase_ids = list(
        Order.objects.filter(status=Order.Status.AWAITING_PAYMENT, created_at__lt=cutoff)
        .values_list("purchase_id", flat=True)
        .distinct()
    )
    for purchase_id in purchase_ids:
        with transaction.atomic():
            payment = (
                Payment.objects.select_for_update()
                .filter(purchase_id=purchase_id, status=Payment.Status.PENDING)
                .first()
            )
            if payment is not None:
                payment.status = Payment.Status.FAILED
                payment.save(update_fields=["status", "updated_at"])
            _cancel_unpaid_orders(
                Purchase.objects.get(pk=purchase_id), _("Not paid in time; nothing was charged.")
            )
    return len(purchase_ids)


def order_refund(*, order: Order, actor=None) -> Order:
    """Refund a cancelled, rejected or completed order's total through its payment's
    provider, then mark it refunded. Safe to retry: the provider call is keyed by order."""
    payment = order.purchase.payments.filter(status=Payment.Status.SUCCEEDED).order_by("pk").first()
    if payment is not None:
        provider = get_provider(payment.provider)
        try:
            provider.refund(
                payment=payment, amount=order.total, idempotency_key=f"refund-order-{order.pk}"
            )
        except Exception as error:  # noqa: BLE001 - any provider failure is reported the same
            raise PaymentError(str(error)) from error
    try:
        return order_transition(
            order=order, to_status=Order.Status.REFUNDED, actor=actor, note=_("Refunded.")
        )
    except InvalidTransition:
        order.refresh_from_db()
        if order.status == Order.Status.REFUNDED:
            return order
        raise


def order_collect_with_code(*, order: Order, code: str, actor) -> Order:
    """The customer shows the pickup code at the counter; a wrong code changes nothing."""
    if code.strip().upper().replace(" ", "") != order.pickup_code:
        raise WrongPickupCode(_("This code does not belong to this order."))
    return order_transition(order=order, to_status=Order.Status.COLLECTED, actor=actor)
