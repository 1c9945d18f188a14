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
