"""Emails to supporters, HTML and plain text, in the node's language."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from marketplace.money import money_from_cents


def send_to_supporter(*, user, template: str, context: dict) -> None:
    context = {
        **context,
        "user": user,
        "SITE_NAME": settings.SITE_NAME,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=f"[{settings.SITE_NAME}] {subject}", body=text, to=[user.email]
    )
    message.attach_alternative(html, "text/html")
    message.send()


def send_expiry_reminder(*, user, points: int) -> None:
    send_to_supporter(
        user=user,
        template="loyalty/email/points_expiring",
        context={"points": points, "days": settings.LOYALTY_EXPIRY_REMINDER_DAYS},
    )


def send_card_used(*, user, record, amount: int, is_points: bool) -> None:
    send_to_supporter(
        user=user,
        template="loyalty/email/card_used",
        context={
            "shop": record.shop,
            "when": record.created_at,
            "points": amount if is_points else None,
            "value": None if is_points else money_from_cents(amount),
        },
    )
