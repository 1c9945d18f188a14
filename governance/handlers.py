"""Governance's subscribers to domain events (listed in marketplace.subscriptions)."""

from . import emails
from .models import Proposal


def announce_proposal_opened(event) -> None:
    """Every member hears that a vote opened, once."""
    proposal = Proposal.objects.select_related("shop", "proposed_by__shop").get(
        pk=event["proposal_id"]
    )
    emails.send_opening(event=event, proposal=proposal)


def announce_proposal_result(event) -> None:
    """Every member (and an applicant) hears how the vote ended, once."""
    proposal = Proposal.objects.select_related("shop", "author", "winning_option").get(
        pk=event["proposal_id"]
    )
    emails.send_result(event=event, proposal=proposal)
