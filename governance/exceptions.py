"""Refusals of the cooperative's rules. Each carries a message saying what to do instead;
when one is raised nothing was written."""

from django.utils.translation import gettext_lazy as _


class GovernanceError(Exception):
    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


class NotAMember(GovernanceError):
    def __init__(self, message=None):
        super().__init__(message or _("Only members of the cooperative can do this."))


class VotingClosed(GovernanceError):
    def __init__(self):
        super().__init__(_("Voting on this proposal has closed; your vote was not counted."))


class AlreadyVoted(GovernanceError):
    def __init__(self):
        super().__init__(
            _("This member has already voted. Change the vote instead of voting again.")
        )
