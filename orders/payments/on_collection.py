from django.utils.translation import gettext_lazy as _

from . import PaymentProvider, StartResult


class PayOnCollection(PaymentProvider):
    """Cash or card at the counter, or to the courier: nothing to do online."""

    code = "on_collection"
    label = _("Pay at pickup or on delivery")

    def start(self, *, purchase, payment, return_url, cancel_url) -> StartResult:
        return StartResult(reference=None, redirect_url=None)

    def refund(self, *, payment, amount, idempotency_key) -> str | None:
        # Nothing was taken online; the shop settles at the counter.
        return None
