from django.utils.translation import gettext_lazy as _


class InvalidPhoto(ValueError):
    """An upload that is not a picture we can show."""

    default_message = _("This file is not a picture we can use.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))
