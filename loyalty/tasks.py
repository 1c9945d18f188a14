"""Background work of the loyalty programme. Every task is safe to run again: ledger writes
are keyed by business ids, reminders are claimed with a conditional update."""

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import mail_admins
from django.utils import timezone

from . import emails, services
from .models import Account, LedgerTransaction, Pledge
from .presales import emails as presale_emails
from .presales import services as presales

log = logging.getLogger(__name__)


@shared_task
def check_trial_balance_task() -> bool:
    """Nightly: the ledger must balance; operators hear at once when it does not."""
    result = services.trial_balance()
    if not result["balanced"]:
        log.error("Ledger out of balance: %s", result)
        mail_admins(f"[{settings.SITE_NAME}] ledger out of balance", repr(result))
    return result["balanced"]


@shared_task
def recalculate_levels_task() -> int:
    """Nightly: levels follow the points earned in the last twelve months, down as well."""
    users = get_user_model().objects.filter(supporter_card__isnull=False)
    count = 0
    for user in users.iterator(chunk_size=500):
        services.level_recalculate(user=user)
        count += 1
    return count


@shared_task
def expire_points_task() -> int:
    now = timezone.now()
    expired = 0
    for account in services.wallets_to_check(now=now).iterator(chunk_size=500):
        if services.points_expire(account=account, now=now):
            expired += 1
    return expired


@shared_task
def remind_expiring_points_task() -> int:
    now = timezone.now()
    ahead = settings.LOYALTY_EXPIRY_REMINDER_DAYS
    sent = 0
    wallets = services.wallets_to_check(now=now, ahead_days=ahead).select_related("user")
    for account in wallets.iterator(chunk_size=500):
        services.card_for(account.user)
        points = services.expiry_reminder_claim(user=account.user, now=now)
        if points:
            emails.send_expiry_reminder(user=account.user, points=points)
            sent += 1
    return sent


@shared_task
def notify_card_use_task(transaction_id: int) -> bool:
    """One email per use of a card at a counter. The claim is an atomic add in the cache
    (Redis in production), keyed by the ledger transaction, so a retried task sends once."""
    if not cache.add(f"card-use-notified-{transaction_id}", True, timeout=30 * 24 * 3600):
        return False
    record = (
        LedgerTransaction.objects.filter(pk=transaction_id)
        .select_related("shop")
        .prefetch_related("entries__account__user")
        .first()
    )
    entries = record.entries.all() if record else []
    spent = [e for e in entries if e.amount < 0 and e.account.user_id]
    if not spent:
        return False
    entry = spent[0]
    emails.send_card_used(
        user=entry.account.user,
        record=record,
        amount=-entry.amount,
        is_points=entry.account.kind == Account.Kind.SUPPORTER_POINTS,
    )
    return True


@shared_task
def settle_points_task() -> int:
    return len(services.settlement_run_due())


# Presale campaigns ---------------------------------------------------------------------------
@shared_task
def close_due_campaigns_task() -> int:
    return presales.campaigns_close_due()


@shared_task
def open_due_redemptions_task() -> int:
    return presales.campaigns_open_redemption_due()


@shared_task
def end_due_redemptions_task() -> int:
    return presales.campaigns_end_redemption_due()


@shared_task
def lapse_unpaid_pledges_task() -> int:
    return presales.pledges_lapse_unpaid()


@shared_task
def send_presale_reminders_task() -> int:
    return presales.presale_reminders_due()


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_presale_reminder_task(pledge_id: int) -> bool:
    return presale_emails.send_reminder(pledge_id=pledge_id, services=presales)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_pledge_receipt_task(pledge_id: int) -> bool:
    return presale_emails.send_receipt(pledge_id=pledge_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=8)
def send_campaign_event_email_task(event_id: int) -> int:
    return presale_emails.send_campaign_event(event_id=event_id)


@shared_task(bind=True, max_retries=8)
def refund_pledge_task(self, pledge_id: int) -> None:
    import stripe

    try:
        presales.pledge_refund_money(pledge=Pledge.objects.get(pk=pledge_id))
    except (OSError, stripe.StripeError) as error:
        # Keyed by pledge at Stripe, so a retry never refunds twice.
        raise self.retry(exc=error, countdown=60 * 2**self.request.retries) from error
