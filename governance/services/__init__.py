"""Writes of the cooperative: proposals and votes, applications, noticeboard, news."""

from .application import shop_application_submit
from .community import (
    event_delete,
    event_save,
    news_delete,
    news_save,
    notice_close,
    notice_post,
    notice_reply,
)
from .proposals import (
    admission_open,
    comment_add,
    earliest_effective_day,
    proposal_close,
    proposal_create,
    proposals_close_due,
    vote_cast,
)

__all__ = [
    "admission_open",
    "comment_add",
    "earliest_effective_day",
    "event_delete",
    "event_save",
    "news_delete",
    "news_save",
    "notice_close",
    "notice_post",
    "notice_reply",
    "proposal_close",
    "proposal_create",
    "proposals_close_due",
    "shop_application_submit",
    "vote_cast",
]
