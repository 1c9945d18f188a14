"""Emails about presale campaigns: the outcome at the deadline, redemption opening, a
cancellation, and the reminder before redemption ends. Each is claimed before sending, so
a task delivered twice sends once."""

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from marketplace.money import money_from_cents

from .. import emails
from ..models import Account, Campaign, CampaignEvent, Pledge


def send_campaign_event(*, event_id: int) -> int:
    """Tell every supporter with a paid (or, for refunds, refunded) pledge what happened."""
    claimed = CampaignEvent.objects.filter(pk=event_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return 0
    event = CampaignEvent.objects.select_related("campaign__shop").get(pk=event_id)
    statuses = [Pledge.Status.PAID, Pledge.Status.REFUNDED]
    supporter_ids = (
        Pledge.objects.filter(campaign=event.campaign, status__in=statuses)
        .values_list("supporter_id", flat=True)
        .distinct()
    )
    sent = 0
    for user in get_user_model().objects.filter(pk__in=supporter_ids).order_by("pk"):
        # Each supporter is claimed before sending: a retry after a failed send reaches
        # the ones not told yet, and nobody twice.
        claim = f"campaign-event-mail-{event_id}-{user.pk}"
        if not cache.add(claim, True, timeout=14 * 24 * 3600):
            continue
        try:
            emails.send_to_supporter(
                user=user,
                template="loyalty/presales/email/campaign_event",
                context={"campaign": event.campaign, "event": event, "Status": Campaign.Status},
            )
        except Exception:
            cache.delete(claim)
            CampaignEvent.objects.filter(pk=event_id).update(notified_at=None)
            raise
        sent += 1
    return sent


def send_reminder(*, pledge_id: int, services) -> bool:
    pledge = Pledge.objects.select_related("campaign__shop", "supporter").get(pk=pledge_id)
    if not services.presale_reminder_claim(pledge=pledge):
        return False
    holding = Account.objects.filter(
        kind=Account.Kind.SUPPORTER_PRESALE, user=pledge.supporter, campaign=pledge.campaign
    ).first()
    remaining = holding.balance if holding else 0
    if remaining <= 0:
        return False
    try:
        emails.send_to_supporter(
            user=pledge.supporter,
            template="loyalty/presales/email/reminder",
            context={"campaign": pledge.campaign, "remaining": money_from_cents(remaining)},
        )
    except Exception:
        services.presale_reminder_unclaim(pledge=pledge)
        raise
    return True


def send_receipt(*, pledge_id: int) -> bool:
    """The supporter's receipt for a paid pledge, with the terms they pledged under."""
    claimed = Pledge.objects.filter(
        pk=pledge_id, status=Pledge.Status.PAID, receipt_sent_at__isnull=True
    ).update(receipt_sent_at=timezone.now())
    if not claimed:
        return False
    pledge = Pledge.objects.select_related("campaign__shop", "supporter").get(pk=pledge_id)
    try:
        emails.send_to_supporter(
            user=pledge.supporter,
            template="loyalty/presales/email/receipt",
            context={"pledge": pledge, "campaign": pledge.campaign},
        )
    except Exception:
        Pledge.objects.filter(pk=pledge_id).update(receipt_sent_at=None)
        raise
    return True
