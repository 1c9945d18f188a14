"""Payment providers behind one interface. Checkout names a provider by its code; a local
currency plugs in as another class listed in settings.PAYMENT_PROVIDERS."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class StartResult:
    # The provider's id for this payment, and where to send the customer (None: no redirect).
    reference: str | None
    redirect_url: str | None


class PaymentProvider:
    code: str = ""
    label = ""
    # Whether the customer is sent to the provider to pay before the shops see the orders.
    pays_up_front = False

    def is_available(self) -> bool:
        return True

    def start(self, *, purchase, payment, return_url: str, cancel_url: str) -> StartResult:
        raise NotImplementedError

    def refund(self, *, payment, amount, idempotency_key: str) -> str | None:
        """Give `amount` back; returns the provider's refund id. Must be safe to repeat with
        the same key."""
        raise NotImplementedError


def all_providers() -> dict[str, PaymentProvider]:
    providers = [import_string(path)() for path in settings.PAYMENT_PROVIDERS]
    return {provider.code: provider for provider in providers}


def available_providers() -> dict[str, PaymentProvider]:
    return {code: p for code, p in all_providers().items() if p.is_available()}


def get_provider(code: str) -> PaymentProvider:
    return all_providers()[code]
