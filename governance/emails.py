"""Announcements to the members, in the node's language, HTML and plain text. Sent by the
outbox subscribers in governance.handlers, each member once per event."""

from marketplace.emails import send_templated_email
from marketplace.outbox import once_per_recipient

from . import selectors
from .models import Proposal


def _send_each(*, event, recipients, template: str, context: dict) -> int:
    """One message per recipient, so addresses stay private; each send is recorded for the
    outbox message, so a delivery retried after a failure midway skips those already told."""
    sent = 0
    for email in sorted(recipients):
        sent += once_per_recipient(
            event,
            email,
            lambda email=email: send_templated_email(
                to=[email], template=template, context={**context, "recipient": email}
            ),
        )
    return sent


def send_opening(*, event, proposal: Proposal) -> int:
    """Tell every member a vote has opened, what it is about and until when it runs."""
    return _send_each(
        event=event,
        recipients=set(selectors.member_emails()),
        template="governance/email/opened",
        context={"proposal": proposal},
    )


def send_result(*, event, proposal: Proposal) -> int:
    """Tell every member and, for an admission, the applicant how the vote ended.
    Returns the number of messages."""
    recipients = set(selectors.member_emails())
    applicant = ""
    if proposal.kind == Proposal.Kind.ADMISSION and proposal.author_id:
        applicant = proposal.author.email
        recipients.add(applicant)
    return _send_each(
        event=event,
        recipients=recipients,
        template="governance/email/result",
        context={
            "proposal": proposal,
            "tally": selectors.proposal_tally(proposal=proposal),
            "applicant": applicant,
        },
    )
