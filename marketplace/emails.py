"""Emails of every app, sent one way: in the node's language, plain text and HTML from
`<template>_subject.txt`, `<template>.txt` and `<template>.html`, the subject tagged with
the node's name. Plain text is rendered without HTML escaping ("Hoof & Herb", never
"Hoof &amp; Herb"); only the HTML part escapes."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation


def render_plain_text(template: str, context: dict) -> str:
    """A text template rendered with autoescape off, for it and everything it includes, so
    no `.txt` email template has to remember to switch escaping off itself."""
    return get_template(template).template.render(Context(context, autoescape=False))


def send_templated_email(*, to: list[str], template: str, context: dict) -> None:
    context = {**context, "SITE_NAME": settings.SITE_NAME}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_plain_text(f"{template}_subject.txt", context).split())
        text = render_plain_text(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject=f"[{settings.SITE_NAME}] {subject}", body=text, to=to)
    message.attach_alternative(html, "text/html")
    message.send()


def send_templated_email_once(*, event, to: list[str], template: str, context: dict) -> int:
    """For an outbox subscriber: the email to each address in `to` separately (nobody sees
    the others' addresses), skipping whoever this event already reached. How many were sent."""
    from .outbox import once_per_recipient

    sent = 0
    for address in dict.fromkeys(a for a in to if a):
        sent += once_per_recipient(
            event,
            address,
            lambda address=address: send_templated_email(
                to=[address], template=template, context=context
            ),
        )
    return sent
