"""Scheduled work of the loyalty programme (beat). Every task is safe to run again: ledger
writes are keyed by business ids, reminders are marked with a conditional update in the
transaction that publishes them. Emails and refunds are sent from the outbox
(loyalty.handlers)."""

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import mail_admins
from django.utils import timezone

from . import services
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
    reminded = 0
    wallets = services.wallets_to_check(now=now, ahead_days=ahead).select_related("user")
    for account in wallets.iterator(chunk_size=500):
        services.card_for(account.user)
        if services.expiry_reminder_publish(user=account.user, now=now):
            reminded += 1
    return reminded


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
