"""Proposals, votes and closing. A vote share-locks the proposal's row and the close locks
it exclusively, so a vote either lands before the close and is counted, or after it and is
refused, while votes never wait for each other."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace import events
from shops.services.admission import shop_admit

from .. import selectors
from ..exceptions import AlreadyVoted, GovernanceError, VotingClosed
from ..models import Comment, Member, PollOption, Proposal, ProposalEvent, Vote

MAX_POLL_OPTIONS = 10


def _open(*, kind, title, rationale, member, user, now, **subject) -> Proposal:
    rules = selectors.node_rules()
    title, rationale = (title or "").strip(), (rationale or "").strip()
    if not title:
        raise GovernanceError(_("Give the proposal a title."))
    if not rationale:
        raise GovernanceError(_("Explain why: the rationale is what members vote on."))
    proposal = Proposal.objects.create(
        kind=kind,
        title=title[:160],
        rationale=rationale,
        proposed_by=member,
        author=user,
        opens_at=now,
        closes_at=voting_closes(now=now),
        quorum_percent=rules.quorum_percent,
        majority=rules.majority,
        secret=rules.secret,
        **subject,
    )
    ProposalEvent.objects.create(
        proposal=proposal, kind=ProposalEvent.Kind.OPENED, member=member, actor=user, created_at=now
    )
    events.publish("governance.proposal_opened", proposal=proposal)
    return proposal


def voting_closes(*, now: datetime.datetime) -> datetime.datetime:
    return now + datetime.timedelta(days=selectors.node_rules().voting_days)


def earliest_effective_day(*, now: datetime.datetime) -> datetime.date:
    """A new fee applies from the day after the vote closes at the earliest: never to
    orders placed while members could still vote."""
    return timezone.localdate(voting_closes(now=now)) + datetime.timedelta(days=1)


def check_fee(*, fee_percent, effective_on: datetime.date | None, now) -> Decimal:
    rules = selectors.node_rules()
    try:
        fee = Decimal(str(fee_percent)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise GovernanceError(_("Enter the fee as a number, for example 4.5.")) from None
    if not (rules.fee_min <= fee <= rules.fee_max):
        raise GovernanceError(
            _("The fee must be between %(low)s %% and %(high)s %%, as the node allows.")
            % {"low": rules.fee_min, "high": rules.fee_max}
        )
    earliest = earliest_effective_day(now=now)
    if effective_on is None or effective_on < earliest:
        raise GovernanceError(
            _("The new fee can take effect on %(date)s at the earliest, the day after voting ends.")
            % {"date": earliest.isoformat()}
        )
    return fee


@transaction.atomic
def proposal_create(
    *,
    user,
    member_id,
    kind: str,
    title: str,
    rationale: str,
    fee_percent=None,
    effective_on: datetime.date | None = None,
    shop_id: int | None = None,
    options: list[str] | None = None,
    now: datetime.datetime | None = None,
) -> Proposal:
    """Open a proposal by a member. Raises NotAMember for someone who cannot act for
    `member_id`, GovernanceError for a fee outside the node's range, an effective date
    before the vote ends, a shop not applying, or a poll without two distinct options."""
    now = now or timezone.now()
    member = selectors.voting_member(user=user, member_id=member_id)
    if kind == Proposal.Kind.FEE:
        fee = check_fee(fee_percent=fee_percent, effective_on=effective_on, now=now)
        return _open(
            kind=kind,
            title=title,
            rationale=rationale,
            member=member,
            user=user,
            now=now,
            fee_percent=fee,
            effective_on=effective_on,
        )
    if kind == Proposal.Kind.ADMISSION:
        shop = selectors.applying_shops_without_vote().filter(pk=shop_id).first()
        if shop is None:
            raise GovernanceError(
                _("Choose a shop that is applying and not already being voted on.")
            )
        return _open(
            kind=kind,
            title=title,
            rationale=rationale,
            member=member,
            user=user,
            now=now,
            shop=shop,
        )
    if kind == Proposal.Kind.POLL:
        labels = []
        for label in options or []:
            label = label.strip()[:120]
            if label and label.casefold() not in {seen.casefold() for seen in labels}:
                labels.append(label)
        if not 2 <= len(labels) <= MAX_POLL_OPTIONS:
            raise GovernanceError(
                _("A poll needs between 2 and %(max)s different options.")
                % {"max": MAX_POLL_OPTIONS}
            )
        proposal = _open(
            kind=kind, title=title, rationale=rationale, member=member, user=user, now=now
        )
        PollOption.objects.bulk_create(
            PollOption(proposal=proposal, label=label, position=n) for n, label in enumerate(labels)
        )
        return proposal
    raise GovernanceError(_("Choose what kind of proposal this is."))


def admission_open(*, shop, applicant, rationale: str, now=None) -> Proposal:
    """The admission vote an application starts; part of the application's transaction."""
    return _open(
        kind=Proposal.Kind.ADMISSION,
        title=_("Admit %(shop)s") % {"shop": shop.name},
        rationale=rationale,
        member=None,
        user=applicant,
        now=now or timezone.now(),
        shop=shop,
    )


def vote_cast(
    *,
    proposal_id: int,
    user,
    member_id,
    choice: str = "",
    option_id=None,
    change: bool = False,
    now: datetime.datetime | None = None,
) -> Vote:
    """Cast (or, with change=True, change) the vote of a member `user` acts for.

    The proposal row is share-locked first: votes run side by side, while the close (which
    takes the row exclusively) waits for votes in flight and every later vote sees it closed.
    The database holds one vote per member and proposal. Raises NotAMember (not theirs to cast),
    VotingClosed, AlreadyVoted (a second vote without change), GovernanceError (no such
    choice); then nothing was counted."""
    now = now or timezone.now()
    member = selectors.voting_member(user=user, member_id=member_id)
    with transaction.atomic():
        proposal = _share_locked(proposal_id)
        if not proposal.is_open_at(now):
            raise VotingClosed()
        option = None
        if proposal.kind == Proposal.Kind.POLL:
            choice = ""
            option = PollOption.objects.filter(proposal=proposal, pk=_int(option_id)).first()
            if option is None:
                raise GovernanceError(_("Choose one of the options."))
        elif choice not in Vote.Choice.values:
            raise GovernanceError(_("Choose yes, no or abstain."))
        vote = Vote.objects.select_for_update().filter(proposal=proposal, member=member).first()
        if vote is not None:
            if not change:
                raise AlreadyVoted()
            if vote.choice == choice and vote.option_id == getattr(option, "pk", None):
                return vote  # the same vote sent again changes nothing, not even the record
            vote.choice, vote.option, vote.cast_by, vote.changed_at = choice, option, user, now
            vote.save(update_fields=["choice", "option", "cast_by", "changed_at"])
            kind = ProposalEvent.Kind.VOTE_CHANGED
        else:
            try:
                with transaction.atomic():
                    vote = Vote.objects.create(
                        proposal=proposal,
                        member=member,
                        cast_by=user,
                        choice=choice,
                        option=option,
                        cast_at=now,
                        changed_at=now,
                    )
            except IntegrityError:
                raise AlreadyVoted() from None
            kind = ProposalEvent.Kind.VOTED
        ProposalEvent.objects.create(
            proposal=proposal, kind=kind, member=member, actor=user, created_at=now
        )
        return vote


def _share_locked(proposal_id: int) -> Proposal:
    """The proposal under FOR SHARE (Django's select_for_update only locks exclusively)."""
    found = list(
        Proposal.objects.raw(
            f"SELECT * FROM {Proposal._meta.db_table} WHERE id = %s FOR SHARE"
            if connection.vendor == "postgresql"
            else f"SELECT * FROM {Proposal._meta.db_table} WHERE id = %s",
            [proposal_id],
        )
    )
    if not found:
        raise Proposal.DoesNotExist
    return found[0]


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@transaction.atomic
def comment_add(*, proposal: Proposal, user, member_id, body: str) -> Comment:
    member = selectors.voting_member(user=user, member_id=member_id)
    body = (body or "").strip()
    if not body:
        raise GovernanceError(_("Write something before posting."))
    if len(body) > 4000:
        raise GovernanceError(_("Keep it under 4,000 characters."))
    return Comment.objects.create(proposal=proposal, member=member, author=user, body=body)


def outcome(*, proposal: Proposal, counts: dict, electorate: int) -> tuple[str, bool, int | None]:
    """(status, quorum reached, winning option id) under the proposal's own rules.
    Abstentions count towards the quorum, not the majority; a tie carries nothing."""
    cast = counts["total"]
    quorum = electorate > 0 and Decimal(cast) * 100 >= proposal.quorum_percent * electorate
    if not quorum:
        return Proposal.Status.NO_RESULT, False, None
    if proposal.kind == Proposal.Kind.POLL:
        ranked = sorted(counts["options"].items(), key=lambda item: -item[1])
        if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
            return Proposal.Status.NO_RESULT, True, None
        return Proposal.Status.DECIDED, True, ranked[0][0]
    yes, no = counts["yes"], counts["no"]
    if proposal.majority == Proposal.Majority.TWO_THIRDS:
        carried = yes > 0 and 3 * yes >= 2 * (yes + no)
    else:
        carried = yes > no
    return (Proposal.Status.ACCEPTED if carried else Proposal.Status.REJECTED), True, None


def proposal_close(*, proposal_id: int, now: datetime.datetime | None = None) -> Proposal:
    """Close a proposal whose voting period has ended: tally under lock, store the result,
    apply it (an accepted admission activates the shop and registers it as a member), and
    announce it after commit. Idempotent: a closed proposal is returned as it is."""

    now = now or timezone.now()
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        if proposal.is_closed or proposal.closes_at > now:
            return proposal
        counts = selectors.count_votes(proposal=proposal)
        electorate = selectors.current_members().count()
        status, quorum, winner = outcome(proposal=proposal, counts=counts, electorate=electorate)
        assert status in Proposal.TRANSITIONS[proposal.status]
        proposal.status = status
        proposal.closed_at = now
        proposal.electorate = electorate
        proposal.quorum_reached = quorum
        proposal.yes_count, proposal.no_count = counts["yes"], counts["no"]
        proposal.abstain_count = counts["abstain"]
        proposal.winning_option_id = winner
        proposal.save()
        for option_id, n in counts["options"].items():
            PollOption.objects.filter(pk=option_id).update(votes=n)
        ProposalEvent.objects.create(
            proposal=proposal, kind=ProposalEvent.Kind.CLOSED, to_status=status, created_at=now
        )
        if proposal.kind == Proposal.Kind.ADMISSION and status == Proposal.Status.ACCEPTED:
            if shop_admit(shop=proposal.shop):
                Member.objects.get_or_create(
                    kind=Member.Kind.SHOP,
                    shop=proposal.shop,
                    defaults={"joined_on": timezone.localdate(now)},
                )
        events.publish("governance.proposal_closed", proposal=proposal)
        return proposal


def proposals_close_due(*, now: datetime.datetime | None = None) -> int:
    """Close every proposal whose period has ended, each in its own transaction."""
    now = now or timezone.now()
    due = list(
        Proposal.objects.filter(status=Proposal.Status.OPEN, closes_at__lte=now)
        .order_by("closes_at", "pk")
        .values_list("pk", flat=True)
    )
    for proposal_id in due:
        proposal_close(proposal_id=proposal_id, now=now)
    return len(due)
