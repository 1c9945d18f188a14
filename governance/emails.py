"""Announcements to the members, in the node's language, HTML and plain text."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from . import selectors
from .models import Proposal


def send_result(proposal: Proposal, *, site_url: str = "") -> int:
    """Tell every member (one message each, so addresses stay private) and, for an
    admission, the applicant, how the vote ended. Returns the number of messages."""
    recipients = set(selectors.member_emails())
    applicant = proposal.author.email if proposal.author_id else ""
    if proposal.kind == Proposal.Kind.ADMISSION and applicant:
        recipients.add(applicant)
    tally = selectors.proposal_tally(proposal=proposal)
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for email in sorted(recipients):
            context = {
                "proposal": proposal,
                "tally": tally,
                "is_applicant": email == applicant and proposal.kind == Proposal.Kind.ADMISSION,
                "SITE_NAME": settings.SITE_NAME,
            }
            subject = " ".join(
                render_to_string("governance/email/result_subject.txt", context).split()
            )
            message = EmailMultiAlternatives(
                subject=f"[{settings.SITE_NAME}] {subject}",
                body=render_to_string("governance/email/result.txt", context),
                to=[email],
            )
            message.attach_alternative(
                render_to_string("governance/email/result.html", context), "text/html"
            )
            message.send()
            sent += 1
    return sent
