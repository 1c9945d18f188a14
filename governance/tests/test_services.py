import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from governance import selectors, services, tasks
from governance.exceptions import AlreadyVoted, GovernanceError, NotAMember, VotingClosed
from governance.models import Member, Proposal, ProposalEvent, Vote
from marketplace import outbox
from marketplace.models import OutboxMessage
from marketplace.tests.factories import UserFactory
from shops.models import Shop
from shops.tests.factories import ShopMembershipFactory

from .factories import member_shop, member_shops

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 12, 0))


def fee_proposal(member, owner, *, fee="4.00", now=NOW, effective_on=None):
    effective_on = effective_on or services.earliest_effective_day(now=now)
    return services.proposal_create(
        user=owner,
        member_id=member.pk,
        kind="fee",
        title="Lower the fee",
        rationale="We earn more than we spend.",
        fee_percent=fee,
        effective_on=effective_on,
        now=now,
    )


def redeliver(topic: str) -> str:
    """Deliver a topic's outbox message again, as after a worker died before marking it done."""
    message = OutboxMessage.objects.get(topic=topic)
    OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxMessage.State.PENDING)
    return outbox.outbox_deliver(message_id=message.pk)


def vote_all(proposal, voters, choices, now=NOW + datetime.timedelta(hours=1)):
    for (member, owner), choice in zip(voters, choices, strict=False):
        services.vote_cast(
            proposal_id=proposal.pk, user=owner, member_id=member.pk, choice=choice, now=now
        )


def close(proposal):
    after = proposal.closes_at + datetime.timedelta(minutes=1)
    services.proposals_close_due(now=after)
    proposal.refresh_from_db()
    return proposal


def test_the_nodes_rules_are_copied_onto_the_proposal(settings):
    settings.GOVERNANCE_QUORUM_PERCENT = "30"
    settings.GOVERNANCE_MAJORITY = "two_thirds"
    settings.GOVERNANCE_VOTING_DAYS = 7
    settings.GOVERNANCE_SECRET_BALLOT = False
    member, owner = member_shop()
    proposal = fee_proposal(member, owner)
    assert proposal.quorum_percent == Decimal("30")
    assert proposal.majority == "two_thirds"
    assert proposal.closes_at == NOW + datetime.timedelta(days=7)
    assert not proposal.secret
    assert proposal.events.get().kind == ProposalEvent.Kind.OPENED


@pytest.mark.parametrize("fee", ["15.01", "-1", "lots"])
def test_a_fee_outside_the_nodes_range_is_refused(fee):
    member, owner = member_shop()
    with pytest.raises(GovernanceError) as refused:
        fee_proposal(member, owner, fee=fee)
    assert "fee" in str(refused.value.message)
    assert not Proposal.objects.exists()


def test_a_fee_cannot_apply_while_members_could_still_vote():
    member, owner = member_shop()
    with pytest.raises(GovernanceError, match="at the earliest"):
        fee_proposal(member, owner, effective_on=NOW.date() + datetime.timedelta(days=3))
    assert not Proposal.objects.exists()


def test_only_members_propose_and_only_for_their_own_member():
    member, owner = member_shop()
    other, _ = member_shop()
    with pytest.raises(NotAMember):
        fee_proposal(member, UserFactory())
    with pytest.raises(NotAMember, match="belong to"):
        fee_proposal(other, owner)
    assert not Proposal.objects.exists()


def test_a_vote_by_a_non_member_a_stranger_shop_or_staff_is_not_counted():
    (member_a, owner_a), (member_b, _owner_b) = member_shops(2)
    staff = UserFactory()
    ShopMembershipFactory(shop=member_a.shop, user=staff, role="staff")
    proposal = fee_proposal(member_a, owner_a)
    at = NOW + datetime.timedelta(hours=1)
    for user, member in [(UserFactory(), member_a), (owner_a, member_b), (staff, member_a)]:
        with pytest.raises(NotAMember):
            services.vote_cast(
                proposal_id=proposal.pk, user=user, member_id=member.pk, choice="yes", now=at
            )
    assert not Vote.objects.exists()


def test_a_second_vote_is_refused_but_the_vote_can_be_changed_until_the_close():
    member, owner = member_shop()
    co_owner = UserFactory()
    ShopMembershipFactory(shop=member.shop, user=co_owner, role="owner")
    proposal = fee_proposal(member, owner)
    at = NOW + datetime.timedelta(hours=1)
    services.vote_cast(
        proposal_id=proposal.pk, user=owner, member_id=member.pk, choice="no", now=at
    )
    with pytest.raises(AlreadyVoted):
        services.vote_cast(
            proposal_id=proposal.pk, user=co_owner, member_id=member.pk, choice="yes", now=at
        )
    assert Vote.objects.get().choice == "no"
    services.vote_cast(
        proposal_id=proposal.pk,
        user=co_owner,
        member_id=member.pk,
        choice="yes",
        change=True,
        now=at,
    )
    vote = Vote.objects.get()
    assert (vote.choice, vote.cast_by) == ("yes", co_owner)
    assert list(proposal.events.values_list("kind", flat=True)) == [
        "opened",
        "voted",
        "vote_changed",
    ]
    # The same vote sent again (a second tap) is not recorded as a change.
    services.vote_cast(
        proposal_id=proposal.pk,
        user=co_owner,
        member_id=member.pk,
        choice="yes",
        change=True,
        now=at,
    )
    assert proposal.events.filter(kind="vote_changed").count() == 1


def test_no_vote_after_the_close():
    member, owner = member_shop()
    proposal = fee_proposal(member, owner)
    with pytest.raises(VotingClosed):
        services.vote_cast(
            proposal_id=proposal.pk,
            user=owner,
            member_id=member.pk,
            choice="yes",
            now=proposal.closes_at,
        )
    close(proposal)
    with pytest.raises(VotingClosed):
        services.vote_cast(
            proposal_id=proposal.pk, user=owner, member_id=member.pk, choice="yes", now=NOW
        )
    assert not Vote.objects.exists()


def test_quorum_not_reached_decides_nothing_and_the_fee_stays(settings):
    settings.GOVERNANCE_QUORUM_PERCENT = "50"
    voters = member_shops(5)
    proposal = fee_proposal(*voters[0])
    vote_all(proposal, voters, ["yes", "yes"])  # 2 of 5: 40 %
    with_emails = close(proposal)
    assert with_emails.status == Proposal.Status.NO_RESULT
    assert with_emails.quorum_reached is False
    assert (with_emails.yes_count, with_emails.electorate) == (2, 5)
    later = timezone.now() + datetime.timedelta(days=400)
    assert selectors.fee_in_force(now=later) == (Decimal(settings.PLATFORM_FEE_PERCENT), None)


def test_abstentions_count_towards_the_quorum_not_the_majority(settings):
    settings.GOVERNANCE_QUORUM_PERCENT = "50"
    voters = member_shops(4)
    proposal = fee_proposal(*voters[0])
    vote_all(proposal, voters, ["yes", "abstain"])
    proposal = close(proposal)
    assert proposal.quorum_reached and proposal.status == Proposal.Status.ACCEPTED


def test_a_tie_carries_nothing():
    voters = member_shops(4)
    proposal = fee_proposal(*voters[0])
    vote_all(proposal, voters, ["yes", "no", "yes", "no"])
    proposal = close(proposal)
    assert proposal.status == Proposal.Status.REJECTED
    assert (proposal.yes_count, proposal.no_count) == (2, 2)
    assert selectors.fee_in_force(now=NOW + datetime.timedelta(days=60)).decision is None


def test_a_two_thirds_majority_needs_two_thirds(settings):
    settings.GOVERNANCE_MAJORITY = "two_thirds"
    voters = member_shops(5)
    short = fee_proposal(*voters[0])
    vote_all(short, voters, ["yes", "yes", "yes", "no", "no"])  # 60 %
    enough = fee_proposal(*voters[0], fee="3.00")
    vote_all(enough, voters, ["yes", "yes", "no"])  # 66.7 %
    assert close(short).status == Proposal.Status.REJECTED
    assert close(enough).status == Proposal.Status.ACCEPTED


def test_a_poll_has_a_winner_or_a_tie():
    voters = member_shops(4)
    member, owner = voters[0]
    polls = []
    for title in ["Market day", "Closing time"]:
        polls.append(
            services.proposal_create(
                user=owner,
                member_id=member.pk,
                kind="poll",
                title=title,
                rationale="Which day suits you?",
                options=["Friday", "Saturday", "saturday ", ""],
                now=NOW,
            )
        )
    friday, saturday = polls[0].options.all()
    assert [o.label for o in polls[1].options.all()] == ["Friday", "Saturday"]
    at = NOW + datetime.timedelta(hours=1)
    for (m, o), option in zip(voters, [friday, saturday, saturday], strict=False):
        services.vote_cast(
            proposal_id=polls[0].pk, user=o, member_id=m.pk, option_id=option.pk, now=at
        )
    tied = polls[1].options.all()
    for (m, o), option in zip(voters, [tied[0], tied[1], tied[0], tied[1]], strict=True):
        services.vote_cast(
            proposal_id=polls[1].pk, user=o, member_id=m.pk, option_id=option.pk, now=at
        )
    decided, no_result = close(polls[0]), close(polls[1])
    assert decided.status == Proposal.Status.DECIDED and decided.winning_option == saturday
    assert no_result.status == Proposal.Status.NO_RESULT and no_result.quorum_reached


def test_a_poll_needs_two_options():
    member, owner = member_shop()
    with pytest.raises(GovernanceError, match="between 2"):
        services.proposal_create(
            user=owner, member_id=member.pk, kind="poll", title="T", rationale="R", options=["A"]
        )


def test_secret_ballot_hides_the_tally_until_the_close_and_the_audit_never_says_how():
    voters = member_shops(2)
    proposal = fee_proposal(*voters[0])
    vote_all(proposal, voters, ["yes", "no"])
    tally = selectors.proposal_tally(proposal=proposal)
    assert not tally.shown and tally.votes_cast == 2 and tally.yes == 0
    audit = list(selectors.proposal_audit(proposal=proposal))
    assert [e.kind for e in audit] == ["opened", "voted", "voted"]
    assert not any(hasattr(e, "choice") for e in audit)
    proposal = close(proposal)
    tally = selectors.proposal_tally(proposal=proposal)
    assert tally.shown and (tally.yes, tally.no) == (1, 1)


def test_the_result_is_announced_to_every_member_once(django_capture_on_commit_callbacks):
    voters = member_shops(3)
    proposal = fee_proposal(*voters[0])
    vote_all(proposal, voters, ["yes", "yes", "no"])
    with django_capture_on_commit_callbacks(execute=True):
        proposal = close(proposal)
    assert proposal.status == Proposal.Status.ACCEPTED
    assert sorted(m.to[0] for m in mail.outbox) == sorted(o.email for _m, o in voters)
    assert "Accepted" in mail.outbox[0].subject
    assert "The transaction fee will be 4 %" in mail.outbox[0].body
    assert redeliver("governance.proposal_closed") == "done"  # delivered twice: sent once
    assert len(mail.outbox) == 3


def test_the_node_decides_who_is_a_member(settings):
    member, owner = member_shop()
    supporter = UserFactory()
    entry = Member.objects.create(
        kind=Member.Kind.SUPPORTER, user=supporter, joined_on=datetime.date(2025, 1, 1)
    )
    proposal = fee_proposal(member, owner)
    at = NOW + datetime.timedelta(hours=1)
    with pytest.raises(NotAMember):
        services.vote_cast(
            proposal_id=proposal.pk, user=supporter, member_id=entry.pk, choice="yes", now=at
        )
    settings.GOVERNANCE_MEMBER_KINDS = ["shop", "supporter"]
    services.vote_cast(
        proposal_id=proposal.pk, user=supporter, member_id=entry.pk, choice="yes", now=at
    )
    assert close(proposal).electorate == 2


def admission_application(applicant, **overrides):
    fields = {
        "user": applicant,
        "name": "Honeycomb Apiary",
        "description": "Honey from the town's rooftops.",
        "street": "Orchard Way 3",
        "postcode": "10117",
        "city": "Lindenfeld",
        "now": NOW,
    }
    fields.update(overrides)
    return services.shop_application_submit(**fields)


@pytest.fixture
def postcode(db):
    from marketplace.models import Postcode

    return Postcode.objects.create(code="10117", name="Centre", latitude=52.51, longitude=13.38)


def test_admission_from_application_to_active_member_shop(
    postcode, django_capture_on_commit_callbacks
):
    voters = member_shops(3)
    applicant = UserFactory()
    proposal = admission_application(applicant)
    shop = proposal.shop
    assert shop.status == Shop.Status.APPLIED
    assert shop.memberships.get().user == applicant
    assert (proposal.kind, proposal.status, proposal.proposed_by) == ("admission", "open", None)
    with pytest.raises(NotAMember):  # the applicant has no vote yet
        services.vote_cast(
            proposal_id=proposal.pk,
            user=applicant,
            member_id=0,
            choice="yes",
            now=NOW + datetime.timedelta(hours=1),
        )
    vote_all(proposal, voters, ["yes", "yes", "no"])
    with django_capture_on_commit_callbacks(execute=True):
        proposal = close(proposal)
    shop.refresh_from_db()
    assert proposal.status == Proposal.Status.ACCEPTED
    assert shop.status == Shop.Status.ACTIVE
    assert Member.objects.get(shop=shop).kind == Member.Kind.SHOP
    assert selectors.user_is_member(user=applicant)
    to_applicant = [m for m in mail.outbox if m.to == [applicant.email]]
    assert "is now a member shop" in to_applicant[0].body


def test_a_rejected_applicant_is_told_and_the_shop_stays_hidden(
    postcode, django_capture_on_commit_callbacks
):
    voters = member_shops(2)
    applicant = UserFactory()
    proposal = admission_application(applicant)
    vote_all(proposal, voters, ["no", "no"])
    with django_capture_on_commit_callbacks(execute=True):
        proposal = close(proposal)
    proposal.shop.refresh_from_db()
    assert proposal.status == Proposal.Status.REJECTED
    assert proposal.shop.status == Shop.Status.APPLIED
    assert not Member.objects.filter(shop=proposal.shop).exists()
    to_applicant = [m for m in mail.outbox if m.to == [applicant.email]]
    assert "was not admitted" in to_applicant[0].body


def test_an_application_needs_a_findable_address_and_only_one_waits_at_a_time(postcode):
    applicant = UserFactory()
    with pytest.raises(GovernanceError, match="could not find"):
        admission_application(applicant, postcode="99999")
    assert not Shop.objects.exists()
    admission_application(applicant)
    with pytest.raises(GovernanceError, match="already have an application"):
        admission_application(applicant, name="Second Shop")
    assert Shop.objects.count() == 1


def test_members_can_put_an_applying_shop_to_the_vote_again(postcode):
    voters = member_shops(2)
    proposal = admission_application(UserFactory())
    close(proposal)  # nobody voted: no result
    member, owner = voters[0]
    again = services.proposal_create(
        user=owner,
        member_id=member.pk,
        kind="admission",
        title="Admit the apiary after all",
        rationale="They answered our questions.",
        shop_id=proposal.shop_id,
    )
    assert again.shop == proposal.shop
    with pytest.raises(GovernanceError, match="applying"):
        services.proposal_create(
            user=owner,
            member_id=member.pk,
            kind="admission",
            title="Twice",
            rationale="R",
            shop_id=proposal.shop_id,
        )


def test_members_hear_of_a_new_vote_once(django_capture_on_commit_callbacks):
    voters = member_shops(3)
    with django_capture_on_commit_callbacks(execute=True):
        fee_proposal(*voters[0])
    assert sorted(m.to[0] for m in mail.outbox) == sorted(o.email for _m, o in voters)
    assert mail.outbox[0].subject.endswith("New vote: Lower the fee")
    assert "a transaction fee of 4 %" in mail.outbox[0].body
    assert redeliver("governance.proposal_opened") == "done"
    assert len(mail.outbox) == 3


def test_the_beat_closes_due_proposals(settings):
    from marketplace.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["close-due-proposals"]
    assert entry["task"] in app.tasks and entry["schedule"] <= 300
    voters = member_shops(2)
    proposal = fee_proposal(*voters[0], now=timezone.now() - datetime.timedelta(days=15))
    assert tasks.close_due_proposals_task() == 1
    proposal.refresh_from_db()
    assert proposal.is_closed
    assert tasks.close_due_proposals_task() == 0


def test_the_latest_effective_date_wins_and_a_later_close_breaks_a_same_day_tie(settings):
    settings.PLATFORM_FEE_PERCENT = "5.00"
    voters = member_shops(2)
    day = services.earliest_effective_day(now=NOW) + datetime.timedelta(days=10)
    first = fee_proposal(*voters[0], fee="4.00", effective_on=day)
    later_day = fee_proposal(*voters[0], fee="3.00", effective_on=day + datetime.timedelta(days=5))
    same_day = fee_proposal(
        *voters[0], fee="4.50", now=NOW + datetime.timedelta(hours=1), effective_on=day
    )
    for proposal in (first, later_day, same_day):
        vote_all(proposal, voters, ["yes", "yes"], now=NOW + datetime.timedelta(hours=2))
    for proposal in (first, later_day, same_day):
        close(proposal)
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    assert selectors.fee_in_force(now=at - datetime.timedelta(days=1)).decision is None
    assert selectors.fee_in_force(now=at) == (Decimal("4.50"), same_day)
    assert selectors.fee_in_force(now=at + datetime.timedelta(days=5)).decision == later_day
    assert list(selectors.fee_history()) == [later_day, same_day, first]


def test_an_announcement_interrupted_by_a_mail_failure_resumes_without_repeats(
    monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.mail import EmailMultiAlternatives

    real_send = EmailMultiAlternatives.send
    calls = {"n": 0}

    def flaky_send(message, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("mail server hiccup")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky_send)
    voters = member_shops(3)
    # The mail server fails on the second member: the proposal stands all the same.
    with django_capture_on_commit_callbacks(execute=True):
        proposal = fee_proposal(*voters[0])
    assert Proposal.objects.filter(pk=proposal.pk, status=Proposal.Status.OPEN).exists()
    assert len(mail.outbox) == 1
    message = OutboxMessage.objects.get(topic="governance.proposal_opened")
    assert "mail server hiccup" in message.last_error
    # The outbox tries again later: the two not yet told hear of it, the first not twice.
    later = message.available_at + datetime.timedelta(seconds=1)
    assert outbox.outbox_deliver(message_id=message.pk, now=later) == "done"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(o.email for _m, o in voters)
