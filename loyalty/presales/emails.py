"""Emails about presale campaigns: the outcome at the deadline, redemption opening, a
cancellation, the receipt of a paid pledge, and the reminder before redemption ends. Each
is sent by an outbox subscriber (loyalty.handlers), once per event and supporter."""

from django.contrib.auth import get_user_model

from marketplace.money import money_from_cents

from .. import emails
from ..models import Account, Campaign, CampaignEvent, Pledge


def send_campaign_event(*, event, campaign_event_id: int) -> int:
    """Tell every supporter with a paid (or, for refunds, refunded) pledge what happened."""
    moved = CampaignEvent.objects.select_related("campaign__shop").get(pk=campaign_event_id)
    statuses = [Pledge.Status.PAID, Pledge.Status.REFUNDED]
    supporter_ids = (
        Pledge.objects.filter(campaign=moved.campaign, status__in=statuses)
        .values_list("supporter_id", flat=True)
        .distinct()
    )
    sent = 0
    for user in get_user_model().objects.filter(pk__in=supporter_ids).order_by("pk"):
        sent += emails.send_to_supporter(
            event=event,
            user=user,
            template="loyalty/presales/email/campaign_event",
            context={"campaign": moved.campaign, "event": moved, "Status": Campaign.Status},
        )
    return sent


def send_reminder(*, event, pledge_id: int) -> int:
    """Remind the supporter of the value they still hold, unless they spent it meanwhile."""
    pledge = Pledge.objects.select_related("campaign__shop", "supporter").get(pk=pledge_id)
    holding = Account.objects.filter(
        kind=Account.Kind.SUPPORTER_PRESALE, user=pledge.supporter, campaign=pledge.campaign
    ).first()
    remaining = holding.balance if holding else 0
    if remaining <= 0:
        return 0
    return emails.send_to_supporter(
        event=event,
        user=pledge.supporter,
        template="loyalty/presales/email/reminder",
        context={"campaign": pledge.campaign, "remaining": money_from_cents(remaining)},
    )


def send_receipt(*, event, pledge_id: int) -> int:
    """The supporter's receipt for a paid pledge, with the terms they pledged under."""
    pledge = Pledge.objects.select_related("campaign__shop", "supporter").get(pk=pledge_id)
    return emails.send_to_supporter(
        event=event,
        user=pledge.supporter,
        template="loyalty/presales/email/receipt",
        context={"pledge": pledge, "campaign": pledge.campaign},
    )
