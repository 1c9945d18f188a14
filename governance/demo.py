"""The demo town's cooperative: a fee the members lowered months ago (so the fee has a
history), an open fee vote, the apiary's application being voted on, a poll, noticeboard
posts, and news and events of the bakery and the grocer. Idempotent: titles identify what
was loaded before; dates are relative to today, so the open votes stay open."""

import datetime
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from shops.models import Shop, ShopMembership

from .models import (
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
from .selectors import node_rules
from .services.proposals import proposal_close


def _voters() -> list[tuple[Member, object]]:
    """Member shops and one owner each, in a fixed order."""
    owners = {
        m.shop_id: m.user
        for m in ShopMembership.objects.filter(role="owner").select_related("user").order_by("pk")
    }
    members = Member.objects.filter(kind=Member.Kind.SHOP, left_on__isnull=True).order_by("pk")
    return [(m, owners[m.shop_id]) for m in members if m.shop_id in owners]


def _proposal(*, title, kind, opens_at, days, proposer, **fields) -> tuple[Proposal, bool]:
    existing = Proposal.objects.filter(title=title).first()
    if existing:
        return existing, False
    rules = node_rules()
    member, user = proposer if proposer else (None, fields.pop("author", None))
    proposal = Proposal.objects.create(
        kind=kind,
        title=title,
        proposed_by=member,
        author=user,
        opens_at=opens_at,
        closes_at=opens_at + datetime.timedelta(days=days),
        quorum_percent=rules.quorum_percent,
        majority=rules.majority,
        secret=rules.secret,
        **fields,
    )
    ProposalEvent.objects.create(
        proposal=proposal, kind="opened", member=member, actor=user, created_at=opens_at
    )
    return proposal, True


def _votes(proposal, voters, choices, at):
    """Votes as (member, owner) × choice; a choice is yes/no/abstain or a PollOption."""
    rows, events = [], []
    for n, ((member, owner), choice) in enumerate(zip(voters, choices, strict=False)):
        when = at + datetime.timedelta(hours=3 * n)
        option = choice if isinstance(choice, PollOption) else None
        rows.append(
            Vote(
                proposal=proposal,
                member=member,
                cast_by=owner,
                choice="" if option else choice,
                option=option,
                cast_at=when,
                changed_at=when,
            )
        )
        events.append(
            ProposalEvent(
                proposal=proposal, kind="voted", member=member, actor=owner, created_at=when
            )
        )
    Vote.objects.bulk_create(rows)
    ProposalEvent.objects.bulk_create(events)


def _closed(proposal: Proposal, voters, choices) -> None:
    """Votes from shortly after the opening, then closed by the real tally at its end.
    Its announcements are demo mail: seed_demo keeps them in memory."""
    _votes(proposal, voters, choices, proposal.opens_at + datetime.timedelta(hours=2))
    proposal_close(proposal_id=proposal.pk, now=proposal.closes_at)


def _past_decisions(voters, now, today) -> None:
    """Eight weeks of the cooperative's past: an admission, a poll and a fee rise the
    members turned down, each closed by the same tally the beat runs."""
    bakery, grocer = voters[0], voters[1]
    refill = next((v for v in voters if v[0].shop.slug == "refill-station"), None)
    if refill is not None:
        opened = now - datetime.timedelta(days=52)
        admission, created = _proposal(
            title="Admit Refill Station",
            kind=Proposal.Kind.ADMISSION,
            opens_at=opened,
            days=14,
            proposer=None,
            author=refill[1],
            rationale=refill[0].shop.description,
            shop=refill[0].shop,
        )
        if created:
            others = [v for v in voters if v is not refill]
            _closed(admission, others, ["yes"] * (len(others) - 2) + ["abstain", "no"])
            Member.objects.filter(pk=refill[0].pk).update(
                joined_on=timezone.localdate(admission.closes_at)
            )
    opened = now - datetime.timedelta(days=38)
    poll, created = _proposal(
        title="Which evening for the members' meeting?",
        kind=Proposal.Kind.POLL,
        opens_at=opened,
        days=10,
        proposer=grocer,
        rationale="Once a quarter we meet in the back room of the bakery. Which evening suits?",
    )
    if created:
        options = PollOption.objects.bulk_create(
            PollOption(proposal=poll, label=label, position=n)
            for n, label in enumerate(["Monday", "Tuesday", "Thursday"])
        )
        picks = [options[2], options[1], options[2], options[0], options[2], options[2]]
        picks += [options[1], options[2], options[0]]
        _closed(poll, voters, picks)
    opened = now - datetime.timedelta(days=24)
    raise_fee, created = _proposal(
        title="Raise the fee to 6 % for a winter campaign",
        kind=Proposal.Kind.FEE,
        opens_at=opened,
        days=14,
        proposer=bakery,
        rationale="Posters, a stall at the Christmas market and paid ads on the local radio, "
        "for one winter. It would cost a typical shop about 60 euros a month.",
        fee_percent=Decimal("6.00"),
        effective_on=timezone.localdate(opened + datetime.timedelta(days=15)),
    )
    if created:
        choices = ["yes", "no", "no", "no", "yes", "no", "abstain", "no", "no", "yes", "no"]
        _closed(raise_fee, voters, choices)


def _applicant(domain: str):
    User = get_user_model()
    email = f"beekeeper@{domain}"
    user = User.objects.filter(email=email).first()
    if user is None:
        from marketplace.demo.seed import demo_password_hash

        user = User.objects.create_user(
            email=email, password=None, display_name="Hana Honey", first_name="Hana"
        )
        user.password = demo_password_hash()
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


@transaction.atomic
def load_governance_demo(*, domain: str) -> list[tuple[str, str, str]]:
    """Load the cooperative's demo rows; returns the extra demo logins (role, email, note)."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    today = timezone.localdate(now)
    voters = _voters()
    if len(voters) < 4:
        return []
    bakery, grocer = voters[0], voters[1]

    # A fee lowered by vote long ago: the fee's history links to it.
    opened = now - datetime.timedelta(days=130)
    past, created = _proposal(
        title="Lower the fee to 4.5 % for our first year",
        kind=Proposal.Kind.FEE,
        opens_at=opened,
        days=14,
        proposer=bakery,
        rationale="Running costs are lower than planned: hosting and the card provider cost "
        "less than 3 % of sales. Let the shops keep more while we grow.",
        fee_percent=Decimal("4.50"),
        effective_on=today - datetime.timedelta(days=110),
    )
    if created:
        choices = ["yes"] * (len(voters) - 3) + ["no", "no", "abstain"]
        _votes(past, voters, choices, opened + datetime.timedelta(hours=2))
        yes = choices.count("yes")
        Proposal.objects.filter(pk=past.pk).update(
            status=Proposal.Status.ACCEPTED,
            closed_at=past.closes_at,
            electorate=len(voters),
            yes_count=yes,
            no_count=2,
            abstain_count=1,
            quorum_reached=True,
        )
        ProposalEvent.objects.create(
            proposal=past, kind="closed", to_status="accepted", created_at=past.closes_at
        )

    _past_decisions(voters, now, today)

    # An open fee vote some members have voted on already.
    opened = now - datetime.timedelta(days=3)
    fee_vote, created = _proposal(
        title="A 4 % fee from next month",
        kind=Proposal.Kind.FEE,
        opens_at=opened,
        days=node_rules().voting_days,
        proposer=grocer,
        rationale="The fees collected cover our costs with room to spare (see the transparency "
        "page). Half a point less is about 40 euros a month for a typical shop.",
        fee_percent=Decimal("4.00"),
        effective_on=timezone.localdate(opened + datetime.timedelta(days=node_rules().voting_days))
        + datetime.timedelta(days=1),
    )
    if created:
        _votes(fee_vote, voters[2:5], ["yes", "no", "yes"], opened + datetime.timedelta(hours=5))

    # The apiary's application, with an applicant who can log in and follow it.
    applicant = _applicant(domain)
    apiary = Shop.objects.filter(slug="honeycomb-apiary").first()
    if apiary is not None:
        ShopMembership.objects.get_or_create(
            shop=apiary, user=applicant, defaults={"role": "owner"}
        )
        opened = now - datetime.timedelta(days=2)
        admission, created = _proposal(
            title="Admit Honeycomb Apiary",
            kind=Proposal.Kind.ADMISSION,
            opens_at=opened,
            days=node_rules().voting_days,
            proposer=None,
            author=applicant,
            rationale=apiary.description,
            shop=apiary,
        )
        if created:
            _votes(admission, voters[3:5], ["yes", "yes"], opened + datetime.timedelta(hours=1))

    # A poll.
    opened = now - datetime.timedelta(days=1)
    poll, created = _proposal(
        title="Which day for a shared market stall?",
        kind=Proposal.Kind.POLL,
        opens_at=opened,
        days=node_rules().voting_days,
        proposer=bakery,
        rationale="The town offers us one free stall at the weekly market. Which day suits most?",
    )
    if created:
        options = PollOption.objects.bulk_create(
            PollOption(proposal=poll, label=label, position=n)
            for n, label in enumerate(["Thursday", "Friday", "Saturday"])
        )
        _votes(poll, voters[2:4], [options[2], options[1]], opened + datetime.timedelta(hours=1))

    # The noticeboard.
    posts = [
        (
            bakery,
            "offer",
            "transport",
            "Our cargo bike is free on Monday mornings",
            "We bake on Mondays and the bike stands in the yard. Borrow it for market runs.",
            30,
        ),
        (
            grocer,
            "request",
            "buying",
            "Buying fair-trade coffee in bulk together",
            "We are ordering 60 kg from a cooperative roaster. Who joins? Better price for all.",
            21,
        ),
    ]
    posts += [
        (
            voters[4],
            "offer",
            "equipment",
            "Shelving to give away",
            "Two oak shelves, 2 m high, from our old shop front. Collect by the end of the month.",
            9,
        ),
        (
            voters[6],
            "request",
            "transport",
            "Who shares a van to the wholesale market?",
            "We drive on Tuesdays at six and have room for a few crates.",
            40,
        ),
    ]
    for n, ((member, owner), kind, category, title, body, days) in enumerate(posts):
        if NoticeboardPost.objects.filter(title=title).exists():
            continue
        post = NoticeboardPost.objects.create(
            member=member,
            author=owner,
            kind=kind,
            category=category,
            title=title,
            body=body,
            expires_on=today + datetime.timedelta(days=days),
        )
        posted = now - datetime.timedelta(days=4 + 9 * n)
        NoticeboardPost.objects.filter(pk=post.pk).update(created_at=posted, updated_at=posted)
        replier, replier_owner = voters[2] if member != voters[2][0] else voters[3]
        NoticeboardReply.objects.create(
            post=post, member=replier, author=replier_owner, body="Count us in, let's talk."
        )

    # News and events.
    news = [
        (
            bakery,
            "Rye from the new mill",
            "Our rye now comes from the mill by the river, 9 km away.",
        ),
        (grocer, "Apple season", "Twelve kinds of apples from two orchards in town, all organic."),
    ]
    for (member, owner), title, body in news:
        ShopNews.objects.get_or_create(
            shop=member.shop,
            title=title,
            defaults={
                "author": owner,
                "body": body,
                "published_at": now - datetime.timedelta(days=4),
            },
        )
    events = [
        (bakery, "Bread tasting", "Six sourdoughs, one evening.", 5, 18, 2),
        (
            grocer,
            "Repair café at the grocer",
            "Bring a broken toaster, leave with a working one.",
            12,
            15,
            3,
        ),
        (voters[2], "Late opening with music", "", 20, 19, 3),
    ]
    for (member, owner), title, description, in_days, hour, hours in events:
        if ShopEvent.objects.filter(title=title).exists():
            continue
        starts = timezone.make_aware(
            datetime.datetime.combine(today + datetime.timedelta(days=in_days), datetime.time(hour))
        )
        ShopEvent.objects.create(
            shop=member.shop,
            author=owner,
            title=title,
            description=description,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=hours),
        )
    return [("shop applicant", f"beekeeper@{domain}", "applied with Honeycomb Apiary")]
