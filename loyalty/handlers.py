"""Loyalty's subscribers to domain events (listed in marketplace.subscriptions).
In-transaction ones move community points with the order; after-commit ones load by id and
are idempotent by event: emails go once per event and address, a card refund is keyed by
pledge at Stripe."""

from django.contrib.auth import get_user_model

from marketplace import events

from . import emails, services
from .exceptions import LedgerRefused
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


# Orders -------------------------------------------------------------------------------------


def award_points(event) -> None:
    """Points are earned when the order is completed (collected or delivered)."""
    services.points_award_for_order(order=event.objects["order"])


def return_spent_points(event) -> None:
    """Points spent on an order that did not complete, or was refunded, come back."""
    services.points_return_for_order(order=event.objects["order"])


def reverse_earned_points(event) -> None:
    """A refund takes the earned points back (after the spent ones came back)."""
    services.points_reverse_for_order(order=event.objects["order"])


# Checkout ------------------------------------------------------------------------------------
def points_spend_for_purchase(event) -> None:
    """In checkout's transaction: the points checkout shared out over the orders
    (`order.points_redeemed`) leave the customer's account, one ledger transaction per
    order. Not enough points refuses the purchase, at the points field."""
    if event.payload.get("points") == 0:
        return  # checkout says no points were spent: nothing to look up
    purchase = event.objects["purchase"]
    for order in purchase.orders.filter(points_redeemed__gt=0).order_by("shop_id"):
        try:
            services.points_spend_on_order(
                order=order, user=purchase.customer, points=order.points_redeemed
            )
        except LedgerRefused as refused:
            raise events.Refused(refused.message, field="points") from refused
