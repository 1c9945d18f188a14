"""Announcements to the members, in the node's language, HTML and plain text."""

from django.core.cache import cache

from marketplace.emails import send_templated_email

from . import selectors
from .models import Proposal


def _send_each(*, recipients, template: str, context: dict) -> int:
    """One message per recipient, so addresses stay private. Each recipient is claimed in
    the cache before sending (released if the send fails), so when the task is retried
    after a failure, those already told are not told again."""
    sent = 0
    proposal = context["proposal"]
    for email in sorted(recipients):
        claim = f"governance-mail-{template}-{proposal.pk}-{email}"
        if not cache.add(claim, True, timeout=14 * 24 * 3600):
            continue
        try:
            send_templated_email(
                to=[email], template=template, context={**context, "recipient": email}
            )
        except Exception:
            cache.delete(claim)
            raise
        sent += 1
    return sent


def send_opening(proposal: Proposal) -> int:
    """Tell every member a vote has opened, what it is about and until when it runs."""
    return _send_each(
        recipients=set(selectors.member_emails()),
        template="governance/email/opened",
        context={"proposal": proposal},
    )


def send_result(proposal: Proposal) -> int:
    """Tell every member and, for an admission, the applicant how the vote ended.
    Returns the number of messages."""
    recipients = set(selectors.member_emails())
    applicant = ""
    if proposal.kind == Proposal.Kind.ADMISSION and proposal.author_id:
        applicant = proposal.author.email
        recipients.add(applicant)
    return _send_each(
        recipients=recipients,
        template="governance/email/result",
        context={
            "proposal": proposal,
            "tally": selectors.proposal_tally(proposal=proposal),
            "applicant": applicant,
        },
    )
