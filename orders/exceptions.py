from django.utils.translation import gettext_lazy as _

# Quantity rules belong to shops; the cart and its views know the error by this name too.
from shops.exceptions import InvalidQuantity

__all__ = [
    "CheckoutError",
    "InvalidQuantity",
    "InvalidTransition",
    "PaymentError",
    "SoldOut",
    "WrongPickupCode",
]


class CheckoutError(Exception):
    """Checkout refused; `message` says what to fix. Nothing was written."""

    def __init__(self, message, *, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(str(message))


class SoldOut(CheckoutError):
    def __init__(self, titles: list[str]):
        self.titles = titles
        super().__init__(
            _("Sold out meanwhile: %(titles)s. Please change your cart.")
            % {"titles": ", ".join(titles)}
        )


class InvalidTransition(Exception):
    """A move the order may not make now; `reason`, when set, says why for the person."""

    def __init__(self, order, to_status, reason=""):
        self.order = order
        self.to_status = to_status
        self.reason = reason
        super().__init__(f"{order.status} → {to_status} is not allowed")


class PaymentError(Exception):
    pass


class WrongPickupCode(Exception):
    pass
