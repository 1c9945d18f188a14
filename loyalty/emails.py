"""Emails to supporters, HTML and plain text, in the node's language."""

from django.conf import settings

from marketplace.emails import send_templated_email
from marketplace.money import money_from_cents


def send_to_supporter(*, user, template: str, context: dict) -> None:
    send_templated_email(to=[user.email], template=template, context={**context, "user": user})


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
