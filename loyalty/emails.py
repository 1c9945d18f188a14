"""Emails to supporters, HTML and plain text, in the node's language. Each is sent by an
outbox subscriber (loyalty.handlers), once per event and address."""

from django.conf import settings

from marketplace.emails import send_templated_email_once
from marketplace.money import money_from_cents


def send_to_supporter(*, event, user, template: str, context: dict) -> int:
    return send_templated_email_once(
        event=event, to=[user.email], template=template, context={**context, "user": user}
    )


def send_expiry_reminder(*, event, user, points: int) -> int:
    return send_to_supporter(
        event=event,
        user=user,
        template="loyalty/email/points_expiring",
        context={"points": points, "days": settings.LOYALTY_EXPIRY_REMINDER_DAYS},
    )


def send_card_used(*, event, user, record, amount: int, is_points: bool) -> int:
    return send_to_supporter(
        event=event,
        user=user,
        template="loyalty/email/card_used",
        context={
            "shop": record.shop,
            "when": record.created_at,
            "points": amount if is_points else None,
            "value": None if is_points else money_from_cents(amount),
        },
    )
