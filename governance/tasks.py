"""Thin tasks: load by id, call a service. Each is safe to run twice (acks_late)."""

from celery import shared_task
from django.utils import timezone

from . import emails, services
from .models import Proposal


@shared_task
def close_due_proposals_task() -> int:
    """Beat: close the proposals whose voting period has ended."""
    return services.proposals_close_due()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def announce_proposal_result_task(proposal_id: int) -> bool:
    # Claim first, so a re-delivered task does not announce twice; un-claim on failure.
    claimed = Proposal.objects.filter(
        pk=proposal_id, closed_at__isnull=False, result_announced_at__isnull=True
    ).update(result_announced_at=timezone.now())
    if not claimed:
        return False
    try:
        emails.send_result(
            Proposal.objects.select_related("shop", "author", "winning_option").get(pk=proposal_id)
        )
    except Exception:
        Proposal.objects.filter(pk=proposal_id).update(result_announced_at=None)
        raise
    return True


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def announce_proposal_opened_task(proposal_id: int) -> bool:
    claimed = Proposal.objects.filter(pk=proposal_id, opening_announced_at__isnull=True).update(
        opening_announced_at=timezone.now()
    )
    if not claimed:
        return False
    try:
        emails.send_opening(
            Proposal.objects.select_related("shop", "proposed_by__shop").get(pk=proposal_id)
        )
    except Exception:
        Proposal.objects.filter(pk=proposal_id).update(opening_announced_at=None)
        raise
    return True
