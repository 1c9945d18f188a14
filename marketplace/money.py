"""Money fields in the node's currency, declared the same way in every app."""

from django.conf import settings
from djmoney.models.fields import MoneyField


def money_field(verbose_name=None, *, max_digits=12, **kwargs) -> MoneyField:
    return MoneyField(
        verbose_name,
        max_digits=max_digits,
        decimal_places=2,
        default_currency=settings.DEFAULT_CURRENCY,
        **kwargs,
    )
