import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import mail_admins

from . import services

log = logging.getLogger(__name__)


@shared_task
def check_trial_balance_task() -> bool:
    """Nightly: the ledger must balance; operators hear at once when it does not."""
    result = services.trial_balance()
    if not result["balanced"]:
        log.error("Ledger out of balance: %s", result)
        mail_admins(f"[{settings.SITE_NAME}] ledger out of balance", repr(result))
    return result["balanced"]
