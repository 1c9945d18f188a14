"""The members' noticeboard, and shops' news and events."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import selectors
from ..exceptions import GovernanceError
from ..models import NoticeboardPost, NoticeboardReply, ShopEvent, ShopNews

MAX_NOTICE_DAYS = 180


@transaction.atomic
def notice_post(
    *,
    user,
    member_id,
    kind: str,
    category: str,
    title: str,
    body: str,
    expires_on: datetime.date,
    today: datetime.date | None = None,
) -> NoticeboardPost:
    """Post an offer or a request for member `member_id`; it shows until `expires_on`."""
    member = selectors.voting_member(user=user, member_id=member_id)
    today = today or timezone.localdate()
    if not today <= expires_on <= today + datetime.timedelta(days=MAX_NOTICE_DAYS):
        raise GovernanceError(
            _("Choose a date from today up to %(days)s days ahead.") % {"days": MAX_NOTICE_DAYS}
        )
    return NoticeboardPost.objects.create(
        member=member,
        author=user,
        kind=kind,
        category=category,
        title=title.strip(),
        body=body.strip(),
        expires_on=expires_on,
    )


@transaction.atomic
def notice_reply(*, post: NoticeboardPost, user, member_id, body: str) -> NoticeboardReply:
    member = selectors.voting_member(user=user, member_id=member_id)
    body = (body or "").strip()
    if not body:
        raise GovernanceError(_("Write something before replying."))
    if post.closed_at or post.expires_on < timezone.localdate():
        raise GovernanceError(_("This post is closed; replies are no longer taken."))
    return NoticeboardReply.objects.create(post=post, member=member, author=user, body=body[:4000])


def notice_close(*, post: NoticeboardPost, user) -> bool:
    """Close a post (found a partner, no longer needed): only its member can."""
    member_ids = {m.pk for m in selectors.member_entries_of(user=user)}
    if post.member_id not in member_ids:
        raise GovernanceError(_("Only the member who posted this can close it."))
    return bool(
        NoticeboardPost.objects.filter(pk=post.pk, closed_at__isnull=True).update(
            closed_at=timezone.now()
        )
    )


def news_save(*, shop, user, news: ShopNews | None = None, title: str, body: str) -> ShopNews:
    if news is None:
        return ShopNews.objects.create(
            shop=shop, author=user, title=title, body=body, published_at=timezone.now()
        )
    news.title, news.body = title, body
    news.save(update_fields=["title", "body", "updated_at"])
    return news


def event_save(*, shop, user, event: ShopEvent | None = None, **fields) -> ShopEvent:
    if fields["ends_at"] < fields["starts_at"]:
        raise GovernanceError(_("The event must end after it starts."))
    if event is None:
        return ShopEvent.objects.create(shop=shop, author=user, **fields)
    for name, value in fields.items():
        setattr(event, name, value)
    event.save()
    return event


def news_delete(*, news: ShopNews) -> None:
    news.delete()


def event_delete(*, event: ShopEvent) -> None:
    event.delete()
