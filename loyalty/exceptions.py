from django.utils.translation import gettext_lazy as _


class LedgerRefused(Exception):
    """A movement that may not happen; nothing was written."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


class NotEnoughPoints(LedgerRefused):
    def __init__(self):
        super().__init__(_("Not enough points for this."))


class NotEnoughValue(LedgerRefused):
    def __init__(self):
        super().__init__(_("Not enough presale value left for this."))


class CardNotFound(LedgerRefused):
    def __init__(self):
        super().__init__(_("No supporter card has this number. Check the digits and try again."))


class RedemptionNotOpen(LedgerRefused):
    """Presale value redeemed before the campaign's redemption period (or after it)."""


class CampaignError(LedgerRefused):
    """A pledge or campaign change that may not happen, with what to fix."""
