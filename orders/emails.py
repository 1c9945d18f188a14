"""Emails about purchases and orders, in the recipient's language, HTML and plain text."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from shops.models import ShopMembership

from .models import Order, OrderEvent, Purchase


def _send(*, to: list[str], subject_template: str, body_template: str, context: dict):
    context = {**context, "SITE_NAME": settings.SITE_NAME}
    subject = " ".join(render_to_string(subject_template, context).split())
    text = render_to_string(f"{body_template}.txt", context)
    html = render_to_string(f"{body_template}.html", context)
    message = EmailMultiAlternatives(subject=f"[{settings.SITE_NAME}] {subject}", body=text, to=to)
    message.attach_alternative(html, "text/html")
    message.send()


def shop_recipients(order: Order) -> list[str]:
    emails = set(
        ShopMembership.objects.filter(shop=order.shop).values_list("user__email", flat=True)
    )
    if order.shop.email:
        emails.add(order.shop.email)
    return sorted(emails)


def send_purchase_confirmation(purchase: Purchase) -> None:
    orders = list(purchase.orders.select_related("shop").prefetch_related("lines"))
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            to=[purchase.email],
            subject_template="orders/email/purchase_subject.txt",
            body_template="orders/email/purchase",
            context={"purchase": purchase, "orders": orders},
        )
        for order in orders:
            _send(
                to=shop_recipients(order),
                subject_template="orders/email/new_order_subject.txt",
                body_template="orders/email/new_order",
                context={"purchase": purchase, "order": order},
            )


def send_order_event(event: OrderEvent) -> None:
    order = event.order
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            to=[order.purchase.email],
            subject_template="orders/email/order_event_subject.txt",
            body_template="orders/email/order_event",
            context={"order": order, "event": event, "purchase": order.purchase},
        )
