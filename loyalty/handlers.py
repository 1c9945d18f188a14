"""Loyalty's subscribers to domain events (listed in marketplace.subscriptions). After-commit
subscribers load by id and are idempotent by event: emails go once per event and address,
a card refund is keyed by pledge at Stripe."""

from django.contrib.auth import get_user_model

from . import emails
from .models import Account, LedgerTransaction, Pledge
from .presales import emails as presale_emails
from .presales import services as presales


def email_card_used(event) -> None:
    """The supporter hears that their card took points or presale value off a bill."""
    record = (
        LedgerTransaction.objects.select_related("shop")
        .prefetch_related("entries__account__user")
        .get(pk=event["ledger_transaction_id"])
    )
    spent = [e for e in record.entries.all() if e.amount < 0 and e.account.user_id]
    if not spent:
        return
    entry = spent[0]
    emails.send_card_used(
        event=event,
        user=entry.account.user,
        record=record,
        amount=-entry.amount,
        is_points=entry.account.kind == Account.Kind.SUPPORTER_POINTS,
    )


def email_points_expiring(event) -> None:
    user = get_user_model().objects.get(pk=event["user_id"])
    emails.send_expiry_reminder(event=event, user=user, points=event["points"])


def email_campaign_moved(event) -> None:
    presale_emails.send_campaign_event(event=event, campaign_event_id=event["campaign_event_id"])


def email_pledge_receipt(event) -> None:
    presale_emails.send_receipt(event=event, pledge_id=event["pledge_id"])


def email_presale_reminder(event) -> None:
    presale_emails.send_reminder(event=event, pledge_id=event["pledge_id"])


def refund_pledge_card(event) -> None:
    """Give a card pledge's money back through Stripe. A Stripe or network error raises, and
    the outbox tries again later; the idempotency key per pledge refunds once."""
    presales.pledge_refund_money(pledge=Pledge.objects.get(pk=event["pledge_id"]))
