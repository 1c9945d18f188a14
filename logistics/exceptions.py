from django.utils.translation import gettext_lazy as _


class JobRefused(Exception):
    """A courier action that cannot happen; `message` says why. Nothing changed."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


class JobTaken(JobRefused):
    def __init__(self):
        super().__init__(_("Another courier was quicker: this job is already taken."))


class AlreadyDone(JobRefused):
    """The confirmation was already recorded (a code used twice, an offline confirmation
    sent again): nothing changed."""


class WindowFull(Exception):
    """No place is left in the delivery window; nothing was booked."""
