"""Money in the node's currency, declared and converted the same way in every app."""

from decimal import Decimal

from django.conf import settings
from djmoney.models.fields import MoneyField
from djmoney.money import Money


def money_field(verbose_name=None, *, max_digits=12, **kwargs) -> MoneyField:
    return MoneyField(
        verbose_name,
        max_digits=max_digits,
        decimal_places=2,
        default_currency=settings.DEFAULT_CURRENCY,
        **kwargs,
    )


def cents_of(money: Money) -> int:
    """Whole cents (what card processors call minor units; 1 community point = 1 cent)."""
    return int((money.amount * 100).to_integral_value())


def money_from_cents(cents: int) -> Money:
    return Money(Decimal(cents) / 100, settings.DEFAULT_CURRENCY)
