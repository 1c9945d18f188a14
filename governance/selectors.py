"""Reads of the cooperative: members, proposals and their tallies, the fee in force, the
noticeboard, shops' news and events, the transparency figures. The permission-checked
fetchers raise the same 404 for missing and not-yours."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.selectors import transparency_figures
from orders.models import Order
from shops.models import Shop, ShopMembership

from .exceptions import NotAMember
from .models import (
    Comment,
    Member,
    NoticeboardPost,
    NoticeboardReply,
    PollOption,
    Proposal,
    ProposalEvent,
    ShopEvent,
    ShopNews,
    Vote,
)


# The node's rules ----------------------------------------------------------------------------
@dataclass(frozen=True)
class NodeRules:
    member_kinds: tuple[str, ...]
    quorum_percent: Decimal
    majority: str
    voting_days: int
    fee_min: Decimal
    fee_max: Decimal
    secret: bool


def node_rules() -> NodeRules:
    majority = settings.GOVERNANCE_MAJORITY
    if majority not in Proposal.Majority.values:
        majority = Proposal.Majority.SIMPLE
    return NodeRules(
        member_kinds=tuple(settings.GOVERNANCE_MEMBER_KINDS),
        quorum_percent=Decimal(str(settings.GOVERNANCE_QUORUM_PERCENT)),
        majority=majority,
        voting_days=int(settings.GOVERNANCE_VOTING_DAYS),
        fee_min=Decimal(str(settings.GOVERNANCE_FEE_MIN_PERCENT)),
        fee_max=Decimal(str(settings.GOVERNANCE_FEE_MAX_PERCENT)),
        secret=bool(settings.GOVERNANCE_SECRET_BALLOT),
    )


# Members -------------------------------------------------------------------------------------
def register_entries() -> QuerySet[Member]:
    """Every current entry of the register, whatever the node counts as members."""
    return Member.objects.filter(left_on__isnull=True).select_related("shop", "collective", "user")


def current_members() -> QuerySet[Member]:
    """The members who vote: current entries of the kinds the node counts as members."""
    return register_entries().filter(kind__in=node_rules().member_kinds)


def member_entries_of(*, user) -> QuerySet[Member]:
    """The members through which `user` votes: their own supporter membership, shops they
    own, and collectives they ride for."""
    if not user.is_authenticated:
        return Member.objects.none()
    return (
        current_members()
        .filter(
            Q(user=user)
            | Q(shop__memberships__user=user, shop__memberships__role="owner")
            | Q(collective__couriers__user=user)
        )
        .distinct()
        .order_by("joined_on", "pk")
    )


def user_is_member(*, user) -> bool:
    return user.is_authenticated and member_entries_of(user=user).exists()


def voting_member(*, user, member_id) -> Member:
    """The member `user` acts for; NotAMember when they cannot act for it (a member of shop
    A naming shop B, a shop's staff, a non-member)."""
    try:
        member_id = int(member_id)
    except (TypeError, ValueError):
        member_id = None
    member = member_entries_of(user=user).filter(pk=member_id).first() if member_id else None
    if member is None:
        if user_is_member(user=user):
            raise NotAMember(_("You can only act for a member you belong to. Choose one of yours."))
        raise NotAMember()
    return member


def members_only(*, user) -> list[Member]:
    """The user's member entries; anyone who is not a member is told these pages are the
    members' own (403 with the reason), since nothing here is a secret to hide by a 404."""
    entries = list(member_entries_of(user=user))
    if not entries:
        raise PermissionDenied(
            _(
                "This part is for the members of the cooperative. Member shops take part "
                "through their owners; the cooperative page says who is a member."
            )
        )
    return entries


def member_emails() -> list[str]:
    """Where announcements to all members go: shop owners (and the shop's own address),
    collectives' addresses and supporters."""

    members = list(current_members())
    shop_ids = [m.shop_id for m in members if m.shop_id]
    emails = set(
        ShopMembership.objects.filter(shop_id__in=shop_ids, role="owner").values_list(
            "user__email", flat=True
        )
    )
    for member in members:
        if member.shop_id and member.shop.email:
            emails.add(member.shop.email)
        if member.collective_id and member.collective.email:
            emails.add(member.collective.email)
        if member.user_id:
            emails.add(member.user.email)
    return sorted(e for e in emails if e)


# The fee -------------------------------------------------------------------------------------
class FeeInForce(NamedTuple):
    percent: Decimal
    decision: Proposal | None


def fee_in_force(*, now: datetime.datetime | None = None) -> FeeInForce:
    """The fee at `now`: the accepted fee proposal with the latest effective date on or
    before that day (the later close wins a same-day tie), else the node's starting fee."""
    day = timezone.localdate(now or timezone.now())
    decision = (
        Proposal.objects.filter(
            kind=Proposal.Kind.FEE, status=Proposal.Status.ACCEPTED, effective_on__lte=day
        )
        .order_by("-effective_on", "-closed_at", "-pk")
        .first()
    )
    if decision is None:
        return FeeInForce(Decimal(str(settings.PLATFORM_FEE_PERCENT)), None)
    return FeeInForce(decision.fee_percent, decision)


def fee_history() -> QuerySet[Proposal]:
    """Every accepted fee, newest effective date first."""
    return Proposal.objects.filter(
        kind=Proposal.Kind.FEE, status=Proposal.Status.ACCEPTED
    ).order_by("-effective_on", "-closed_at", "-pk")


def fee_upcoming(*, now=None) -> QuerySet[Proposal]:
    day = timezone.localdate(now or timezone.now())
    return fee_history().filter(effective_on__gt=day).order_by("effective_on")


# Proposals -----------------------------------------------------------------------------------
def proposal_list(*, status: str = "") -> QuerySet[Proposal]:
    # Counted in subqueries: joining votes and comments together would multiply the rows.
    votes = Vote.objects.filter(proposal=OuterRef("pk")).values("proposal")
    comments = Comment.objects.filter(proposal=OuterRef("pk")).values("proposal")
    proposals = Proposal.objects.select_related(
        "proposed_by__shop", "proposed_by__collective", "proposed_by__user", "shop"
    ).annotate(
        vote_count=Coalesce(Subquery(votes.annotate(n=Count("pk")).values("n")), 0),
        comment_count=Coalesce(Subquery(comments.annotate(n=Count("pk")).values("n")), 0),
    )
    if status == "open":
        proposals = proposals.filter(status=Proposal.Status.OPEN)
    elif status == "closed":
        proposals = proposals.exclude(status=Proposal.Status.OPEN)
    return proposals.order_by("-opens_at", "-pk")


def proposal_get(*, proposal_id: int) -> Proposal:
    """Proposals and their results are public, as a cooperative's decisions are."""
    try:
        return Proposal.objects.select_related(
            "proposed_by__shop", "proposed_by__collective", "proposed_by__user", "shop", "author"
        ).get(pk=proposal_id)
    except Proposal.DoesNotExist:
        raise Http404("No such proposal") from None


def proposal_for_member(*, user, proposal_id: int) -> Proposal:
    """A proposal for an action only members take (vote, comment): 404 for non-members."""
    members_only(user=user)
    return proposal_get(proposal_id=proposal_id)


@dataclass
class Tally:
    shown: bool  # False while a secret ballot runs
    yes: int = 0
    no: int = 0
    abstain: int = 0
    options: list[tuple[PollOption, int]] | None = None
    votes_cast: int = 0
    electorate: int = 0

    @property
    def turnout_percent(self) -> Decimal:
        if not self.electorate:
            return Decimal("0")
        return (Decimal(self.votes_cast) * 100 / self.electorate).quantize(Decimal("0.1"))


def proposal_tally(*, proposal: Proposal) -> Tally:
    """The stored tally of a closed proposal; a live count of an open one unless the ballot
    is secret, when only the number of votes cast is shown."""
    options = list(proposal.options.all()) if proposal.kind == Proposal.Kind.POLL else []
    if proposal.is_closed:
        return Tally(
            shown=True,
            yes=proposal.yes_count,
            no=proposal.no_count,
            abstain=proposal.abstain_count,
            options=[(option, option.votes) for option in options],
            votes_cast=proposal.votes_cast + sum(o.votes for o in options),
            electorate=proposal.electorate or 0,
        )
    counts = count_votes(proposal=proposal)
    electorate = current_members().count()
    if proposal.secret:
        return Tally(shown=False, votes_cast=counts["total"], electorate=electorate)
    return Tally(
        shown=True,
        yes=counts["yes"],
        no=counts["no"],
        abstain=counts["abstain"],
        options=[(option, counts["options"].get(option.pk, 0)) for option in options],
        votes_cast=counts["total"],
        electorate=electorate,
    )


def count_votes(*, proposal: Proposal) -> dict:
    rows = (
        Vote.objects.filter(proposal=proposal).values("choice", "option_id").annotate(n=Count("pk"))
    )
    counts = {"yes": 0, "no": 0, "abstain": 0, "options": {}, "total": 0}
    for row in rows:
        if row["option_id"]:
            counts["options"][row["option_id"]] = row["n"]
        else:
            counts[row["choice"]] = row["n"]
        counts["total"] += row["n"]
    return counts


def proposal_audit(*, proposal: Proposal) -> QuerySet[ProposalEvent]:
    """Who voted when, never how."""
    return proposal.events.select_related(
        "member__shop", "member__collective", "member__user", "actor"
    ).order_by("created_at", "pk")


def votes_of(*, proposal: Proposal, members: list[Member]) -> dict[int, Vote]:
    """The user's members' own votes, which they always see."""
    votes = Vote.objects.filter(proposal=proposal, member__in=members).select_related(
        "option", "cast_by"
    )
    return {vote.member_id: vote for vote in votes}


def open_ballot_votes(*, proposal: Proposal) -> QuerySet[Vote]:
    """How each member voted, for an open ballot only; nothing for a secret one."""
    if proposal.secret:
        return Vote.objects.none()
    return (
        Vote.objects.filter(proposal=proposal)
        .select_related("member__shop", "member__collective", "member__user", "option")
        .order_by("cast_at", "pk")
    )


def proposal_comments(*, proposal: Proposal) -> QuerySet:
    return proposal.comments.select_related(
        "member__shop", "member__collective", "member__user", "author"
    )


def applying_shops_without_vote():

    return Shop.objects.filter(status=Shop.Status.APPLIED).exclude(
        admission_proposals__status=Proposal.Status.OPEN
    )


def applications_of(*, user) -> QuerySet[Proposal]:
    """Admission votes on shops `user` owns: the applicant follows their application."""
    return (
        Proposal.objects.filter(
            kind=Proposal.Kind.ADMISSION,
            shop__memberships__user=user,
            shop__memberships__role="owner",
        )
        .select_related("shop")
        .order_by("-opens_at")
    )


# Noticeboard ---------------------------------------------------------------------------------
def notices(*, today: datetime.date, category: str = "", kind: str = "") -> QuerySet:
    posts = (
        NoticeboardPost.objects.filter(expires_on__gte=today, closed_at__isnull=True)
        .select_related("member__shop", "member__collective", "member__user")
        .annotate(reply_count=Count("replies"))
    )
    if category in NoticeboardPost.Category.values:
        posts = posts.filter(category=category)
    if kind in NoticeboardPost.Kind.values:
        posts = posts.filter(kind=kind)
    return posts.order_by("-created_at", "-pk")


def notice_for_member(*, user, post_id: int) -> NoticeboardPost:
    """A noticeboard post, for members only: the same 404 for missing and non-members."""
    members_only(user=user)
    try:
        return (
            NoticeboardPost.objects.select_related(
                "member__shop", "member__collective", "member__user", "author"
            )
            .prefetch_related(
                Prefetch(
                    "replies",
                    queryset=NoticeboardReply.objects.select_related(
                        "member__shop", "member__collective", "member__user", "author"
                    ),
                )
            )
            .get(pk=post_id)
        )
    except NoticeboardPost.DoesNotExist:
        raise Http404("No such post") from None


# News and events -----------------------------------------------------------------------------
def shop_news(*, shop) -> QuerySet[ShopNews]:
    return ShopNews.objects.filter(shop=shop).order_by("-published_at", "-pk")


def shop_events_upcoming(*, shop, now=None) -> QuerySet[ShopEvent]:
    return ShopEvent.objects.filter(shop=shop, ends_at__gte=now or timezone.now()).order_by(
        "starts_at", "pk"
    )


def shop_events_all(*, shop) -> QuerySet[ShopEvent]:
    return ShopEvent.objects.filter(shop=shop).order_by("-starts_at", "-pk")


def news_for_member(*, shop, news_id: int) -> ShopNews:
    try:
        return ShopNews.objects.get(pk=news_id, shop=shop)
    except ShopNews.DoesNotExist:
        raise Http404("No such news") from None


def event_for_member(*, shop, event_id: int) -> ShopEvent:
    try:
        return ShopEvent.objects.get(pk=event_id, shop=shop)
    except ShopEvent.DoesNotExist:
        raise Http404("No such event") from None


def town_events(*, first: datetime.date, last: datetime.date) -> QuerySet[ShopEvent]:
    """Events of active shops overlapping the days first..last (local time)."""

    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return (
        ShopEvent.objects.filter(
            starts_at__lt=end, ends_at__gte=start, shop__status=Shop.Status.ACTIVE
        )
        .select_related("shop")
        .order_by("starts_at", "pk")
    )


# Transparency --------------------------------------------------------------------------------
def fees_collected_by_month(*, months: int = 12, now=None) -> list[tuple[datetime.date, Decimal]]:
    """Platform fees of orders that were collected or delivered, by the month they were
    placed, for the last `months` months (empty months included)."""

    today = timezone.localdate(now or timezone.now())
    first = months_back(today.replace(day=1), months - 1)
    rows = (
        Order.objects.filter(
            status__in=[Order.Status.COLLECTED, Order.Status.DELIVERED],
            created_at__gte=datetime.datetime.combine(
                first, datetime.time.min, tzinfo=timezone.get_current_timezone()
            ),
        )
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(total=Sum("platform_fee"))
    )
    by_month = {}
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, datetime.datetime) else month
        by_month[month] = row["total"] or Decimal("0")
    return [(month, by_month.get(month, Decimal("0"))) for month in _month_range(first, months)]


def months_back(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 - n
    return datetime.date(index // 12, index % 12 + 1, 1)


def _month_range(first: datetime.date, n: int) -> list[datetime.date]:
    return [months_back(first, -i) for i in range(n)]


def loyalty_figures() -> dict:
    """Settlements between shops and expired points, from the loyalty app."""
    return transparency_figures()


def transparency(*, now=None) -> dict:

    now = now or timezone.now()
    return {
        "fee": fee_in_force(now=now),
        "starting_fee": Decimal(str(settings.PLATFORM_FEE_PERCENT)),
        "history": list(fee_history().select_related("proposed_by__shop")[:50]),
        "upcoming": list(fee_upcoming(now=now)),
        "fees_by_month": fees_collected_by_month(now=now),
        "member_count": current_members().count(),
        "active_shop_count": Shop.objects.filter(status=Shop.Status.ACTIVE).count(),
        "member_shop_count": current_members().filter(kind=Member.Kind.SHOP).count(),
        "loyalty": loyalty_figures(),
    }
