from django.utils.translation import gettext_lazy as _


class LedgerRefused(Exception):
    """A movement that may not happen; nothing was written."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


class NotEnoughPoints(LedgerRefused):
    def __init__(self):
        super().__init__(_("Not enough points for this."))
