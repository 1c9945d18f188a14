from django.utils.translation import gettext_lazy as _


class InvalidPhoto(ValueError):
    """An upload that is not a picture we can show."""

    default_message = _("This file is not a picture we can use.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class ShoppingListError(ValueError):
    """A shopping list or a starting point we cannot use; `message` says what to fix.
    Nothing was written."""

    def __init__(self, message, *, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(str(message))


class InvalidQuantity(ValueError):
    """A quantity the product is not sold in; `message` says what to fix. Nothing was
    written."""

    def __init__(self, message, *, field: str | None = None):
        self.message = message
        self.field = field
        super().__init__(str(message))


class InsufficientStock(Exception):
    """Fewer goods available to sell than asked for; `titles` names the products short."""

    def __init__(self, titles: list[str]):
        self.titles = titles
        super().__init__(", ".join(titles))


class StockRefused(ValueError):
    """A stock change that would leave a product below zero or names an unknown product;
    `problems` says which (index, field, message). Nothing was changed."""

    def __init__(self, problems: list[dict]):
        self.problems = problems
        super().__init__("; ".join(p["message"] for p in problems))
