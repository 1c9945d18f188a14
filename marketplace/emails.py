"""Emails of every app, sent one way: in the node's language, plain text and HTML from
`<template>_subject.txt`, `<template>.txt` and `<template>.html`, the subject tagged with
the node's name."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def send_templated_email(*, to: list[str], template: str, context: dict) -> None:
    context = {**context, "SITE_NAME": settings.SITE_NAME}
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(subject=f"[{settings.SITE_NAME}] {subject}", body=text, to=to)
    message.attach_alternative(html, "text/html")
    message.send()
