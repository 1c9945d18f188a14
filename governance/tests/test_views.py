import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from governance.models import Member
from marketplace.tests.factories import UserFactory
from shops.tests.factories import ShopFactory, ShopMembershipFactory

pytestmark = pytest.mark.django_db
JOINED = datetime.date(2026, 1, 1)


def test_the_register_is_for_members_only_and_counts_are_public(client, settings):
    settings.GOVERNANCE_MEMBER_KINDS = ["shop", "supporter"]
    shop = ShopFactory(name="Corner Bakery")
    owner = UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    Member.objects.create(kind=Member.Kind.SHOP, shop=shop, joined_on=JOINED)
    Member.objects.create(kind=Member.Kind.SUPPORTER, user=UserFactory(), joined_on=JOINED)

    public = client.get(reverse("governance:cooperative"))
    assert public.context["member_count"] == 2
    assert public.context["page"] is None

    client.force_login(UserFactory())  # signed in, but not a member
    assert client.get(reverse("governance:cooperative")).context["page"] is None

    client.force_login(owner)
    page = client.get(reverse("governance:cooperative")).context["page"]
    assert [str(entry) for entry in page] == ["Corner Bakery", str(Member.objects.last())]


def test_shop_staff_are_not_members_through_their_shop_only_owners_vote(client):
    shop = ShopFactory()
    staff = UserFactory()
    ShopMembershipFactory(shop=shop, user=staff, role="staff")
    Member.objects.create(kind=Member.Kind.SHOP, shop=shop, joined_on=JOINED)
    client.force_login(staff)
    assert client.get(reverse("governance:cooperative")).context["page"] is None


def test_a_member_entry_is_exactly_one_party():
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(kind=Member.Kind.SHOP, joined_on=JOINED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(
            kind=Member.Kind.SHOP, shop=ShopFactory(), user=UserFactory(), joined_on=JOINED
        )


# Proposals, votes, discussion -----------------------------------------------------------------


@pytest.fixture
def voters():
    from .factories import member_shops

    return member_shops(2)


@pytest.fixture
def fee_proposal(voters):
    from django.utils import timezone

    from governance import services

    member, owner = voters[0]
    return services.proposal_create(
        user=owner,
        member_id=member.pk,
        kind="fee",
        title="Four percent",
        rationale="Costs went down.",
        fee_percent="4.00",
        effective_on=services.earliest_effective_day(now=timezone.now()),
    )


def test_a_member_proposes_a_fee_and_sees_the_rules_on_it(client, voters):
    from governance.models import Proposal
    from governance.services import earliest_effective_day

    member, owner = voters[0]
    client.force_login(owner)
    form = client.get(reverse("governance:proposal_new"), {"kind": "fee"})
    assert form.status_code == 200
    effective = earliest_effective_day(now=datetime.datetime.now(datetime.UTC))
    response = client.post(
        reverse("governance:proposal_new"),
        {
            "kind": "fee",
            "member": member.pk,
            "title": "Four percent",
            "rationale": "Costs went down.",
            "fee_percent": "4",
            "effective_on": effective.isoformat(),
        },
        follow=True,
    )
    proposal = Proposal.objects.get()
    assert response.redirect_chain[-1][0] == proposal.get_absolute_url()
    page = response.content.decode()
    assert "Quorum: 50 %" in page and "Secret ballot" in page


def test_a_fee_outside_the_range_gets_a_message_and_nothing_is_made(client, voters):
    from governance.models import Proposal

    member, owner = voters[0]
    client.force_login(owner)
    response = client.post(
        reverse("governance:proposal_new"),
        {
            "kind": "fee",
            "member": member.pk,
            "title": "Twenty",
            "rationale": "More!",
            "fee_percent": "20",
            "effective_on": "2099-01-01",
        },
    )
    assert response.status_code == 400
    assert "less than or equal to 15" in response.content.decode()
    assert not Proposal.objects.exists()


def test_members_vote_and_change_their_vote_in_place(client, voters, fee_proposal):
    from governance.models import Vote

    member, owner = voters[1]
    client.force_login(owner)
    url = reverse("governance:proposal_vote", args=[fee_proposal.pk])
    response = client.post(
        url, {"member": member.pk, "choice": "no"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Change vote" in response.content.decode()
    assert client.post(url, {"member": member.pk, "choice": "yes"}).status_code == 302
    assert Vote.objects.get().choice == "no"  # a second vote without "change" is refused
    client.post(url, {"member": member.pk, "choice": "yes", "change": "1"})
    assert Vote.objects.get().choice == "yes"
    page = client.get(fee_proposal.get_absolute_url()).content.decode()
    assert "Voted: Yes" in page and "Changed their vote" in page


def test_a_member_of_shop_a_cannot_vote_for_shop_b(client, voters, fee_proposal):
    from governance.models import Vote

    (member_a, owner_a), (member_b, _owner_b) = voters
    client.force_login(owner_a)
    response = client.post(
        reverse("governance:proposal_vote", args=[fee_proposal.pk]),
        {"member": member_b.pk, "choice": "yes"},
    )
    assert response.status_code == 403
    assert "only act for a member you belong to" in response.content.decode()
    assert not Vote.objects.exists()


def test_a_non_member_is_told_and_nothing_is_counted(client, fee_proposal, voters):
    from governance.models import Vote

    client.force_login(UserFactory())
    response = client.post(
        reverse("governance:proposal_vote", args=[fee_proposal.pk]),
        {"member": voters[0][0].pk, "choice": "yes"},
    )
    assert response.status_code == 403
    assert "Only members" in response.content.decode()
    assert not Vote.objects.exists()


def test_a_vote_after_the_close_is_refused_with_a_message(client, voters, fee_proposal):
    from django.utils import timezone

    from governance.models import Proposal, Vote

    Proposal.objects.filter(pk=fee_proposal.pk).update(closes_at=timezone.now())
    member, owner = voters[0]
    client.force_login(owner)
    response = client.post(
        reverse("governance:proposal_vote", args=[fee_proposal.pk]),
        {"member": member.pk, "choice": "yes"},
        follow=True,
    )
    assert "Voting on this proposal has closed" in response.content.decode()
    assert not Vote.objects.exists()


def test_members_discuss_and_see_who_voted_when_but_the_public_does_not(
    client, voters, fee_proposal
):
    member, owner = voters[0]
    client.force_login(owner)
    client.post(
        reverse("governance:proposal_comment", args=[fee_proposal.pk]),
        {"member": member.pk, "body": "What about the courier costs?"},
    )
    page = client.get(fee_proposal.get_absolute_url()).content.decode()
    assert "What about the courier costs?" in page and "Who voted when" in page
    client.logout()
    public = client.get(fee_proposal.get_absolute_url()).content.decode()
    assert "Four percent" in public
    assert "courier costs" not in public and "Who voted when" not in public


@pytest.mark.parametrize("count", [1, 24])
def test_the_proposal_list_does_not_grow_in_queries(client, django_assert_num_queries, count):
    from django.utils import timezone

    from governance import services

    from .factories import member_shop

    member, owner = member_shop()
    for n in range(count):
        services.proposal_create(
            user=owner,
            member_id=member.pk,
            kind="poll",
            title=f"Poll {n}",
            rationale="Which?",
            options=["A", "B"],
            now=timezone.now(),
        )
    with django_assert_num_queries(2):
        response = client.get(reverse("governance:proposal_list"))
    assert len(response.context["page"].object_list) == count


# Joining --------------------------------------------------------------------------------------


def test_someone_applies_with_a_shop_and_the_members_vote_on_it(client, voters):
    from governance.models import Proposal
    from marketplace.models import Postcode
    from shops.models import Shop

    Postcode.objects.create(code="10117", name="Centre", latitude=52.51, longitude=13.38)
    applicant = UserFactory()
    client.force_login(applicant)
    response = client.post(
        reverse("governance:apply"),
        {
            "name": "Honeycomb Apiary",
            "description": "Honey from the rooftops.",
            "street": "Orchard Way 3",
            "postcode": "10117",
            "city": "Lindenfeld",
        },
        follow=True,
    )
    proposal = Proposal.objects.get(kind="admission")
    assert proposal.shop.status == Shop.Status.APPLIED
    assert "This is your application" in response.content.decode()
    assert client.get(proposal.shop.get_absolute_url()).status_code == 404  # not public yet
    bad = client.post(reverse("governance:apply"), {"name": "", "street": "x"})
    assert bad.status_code == 400
    assert Shop.objects.filter(status=Shop.Status.APPLIED).count() == 1


# Transparency, calendar, noticeboard, news ------------------------------------------------------


def test_the_transparency_page_shows_the_fee_its_votes_and_what_came_in(client, settings):
    from decimal import Decimal

    from django.utils import timezone

    from governance.models import Proposal

    settings.PLATFORM_FEE_PERCENT = "5.00"
    now = timezone.now()
    decided = Proposal.objects.create(
        kind="fee",
        status="accepted",
        title="Four and a half",
        rationale="R",
        opens_at=now - datetime.timedelta(days=30),
        closes_at=now - datetime.timedelta(days=16),
        closed_at=now - datetime.timedelta(days=16),
        quorum_percent=50,
        majority="simple",
        secret=True,
        fee_percent=Decimal("4.50"),
        effective_on=(now - datetime.timedelta(days=15)).date(),
        yes_count=7,
        no_count=2,
    )
    response = client.get(reverse("governance:transparency"))
    page = response.content.decode()
    assert response.context["fee"].percent == Decimal("4.50")
    assert decided.get_absolute_url() in page
    assert "yes: 7, no: 2" in page and "5 %" in page
    assert len(response.context["fees_by_month"]) == 12


def test_only_members_see_the_noticeboard_and_post_and_reply(client, voters):
    member, owner = voters[0]
    other_member, other_owner = voters[1]
    client.force_login(UserFactory())
    refused = client.get(reverse("governance:noticeboard"))
    assert refused.status_code == 403
    assert "This part is for the members of the cooperative" in refused.content.decode()
    client.force_login(owner)
    response = client.post(
        reverse("governance:notice_new"),
        {
            "member": member.pk,
            "kind": "offer",
            "category": "transport",
            "title": "Cargo bike free on Mondays",
            "body": "Ours stands idle; borrow it.",
            "expires_on": (datetime.date.today() + datetime.timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 302
    listing = client.get(reverse("governance:noticeboard"), {"category": "transport"})
    assert "Cargo bike free on Mondays" in listing.content.decode()
    client.force_login(other_owner)
    post_url = response["Location"]
    client.post(post_url, {"member": other_member.pk, "body": "Yes please, for the market."})
    assert "Yes please" in client.get(post_url).content.decode()
    # Only the posting member closes it.
    assert client.post(post_url + "close/").status_code == 403


def test_a_post_must_not_outlive_half_a_year(client, voters):
    from governance.models import NoticeboardPost

    member, owner = voters[0]
    client.force_login(owner)
    response = client.post(
        reverse("governance:notice_new"),
        {
            "member": member.pk,
            "kind": "request",
            "category": "buying",
            "title": "Coffee in bulk",
            "body": "Who joins?",
            "expires_on": "2099-01-01",
        },
    )
    assert response.status_code == 400
    assert "180 days ahead" in response.content.decode()
    assert not NoticeboardPost.objects.exists()


def test_a_shop_posts_news_and_an_event_that_show_on_its_page_and_the_calendar(client, voters):
    member, owner = voters[0]
    shop = member.shop
    client.force_login(owner)
    url = reverse("governance:shop_news", args=[shop.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"form": "news", "news-title": "New rye", "news-body": "From the mill."})
    start = datetime.datetime.now() + datetime.timedelta(days=2)
    response = client.post(
        url,
        {
            "form": "event",
            "event-title": "Tasting evening",
            "event-starts_at": start.strftime("%Y-%m-%dT18:00"),
            "event-ends_at": start.strftime("%Y-%m-%dT17:00"),
        },
    )
    assert response.status_code == 400 and "end after it starts" in response.content.decode()
    past = start - datetime.timedelta(days=400)
    for starts, ends, message in [
        (past, past + datetime.timedelta(hours=2), "choose a date ahead"),
        (start, start + datetime.timedelta(days=30), "at most 14 days"),
    ]:
        refused = client.post(
            url,
            {
                "form": "event",
                "event-title": "Odd event",
                "event-starts_at": starts.strftime("%Y-%m-%dT18:00"),
                "event-ends_at": ends.strftime("%Y-%m-%dT20:00"),
            },
        )
        assert refused.status_code == 400 and message in refused.content.decode()
    client.post(
        url,
        {
            "form": "event",
            "event-title": "Tasting evening",
            "event-starts_at": start.strftime("%Y-%m-%dT18:00"),
            "event-ends_at": start.strftime("%Y-%m-%dT20:00"),
        },
    )
    page = client.get(shop.get_absolute_url()).content.decode()
    assert "New rye" in page and "Tasting evening" in page
    calendar = client.get(reverse("governance:calendar"), {"month": start.strftime("%Y-%m")})
    assert "Tasting evening" in calendar.content.decode()


@pytest.mark.parametrize("count", [1, 24])
def test_the_noticeboard_and_calendar_do_not_grow_in_queries(
    client, django_assert_num_queries, count, voters
):
    from django.utils import timezone

    from governance.models import NoticeboardPost, ShopEvent

    member, owner = voters[0]
    now = timezone.now()
    for n in range(count):
        NoticeboardPost.objects.create(
            member=member,
            author=owner,
            kind="offer",
            category="other",
            title=f"Offer {n}",
            body="B",
            expires_on=now.date() + datetime.timedelta(days=5),
        )
        ShopEvent.objects.create(
            shop=member.shop,
            title=f"Event {n}",
            starts_at=now + datetime.timedelta(hours=n),
            ends_at=now + datetime.timedelta(hours=n + 1),
        )
    with django_assert_num_queries(1):
        client.get(reverse("governance:calendar"))
    client.force_login(owner)
    # user (the session comes from the cache), membership check, count, page, header:
    # roles and cart
    with django_assert_num_queries(6):
        response = client.get(reverse("governance:noticeboard"))
    assert len(response.context["page"].object_list) == count


# Nobody sees or changes what is not theirs ------------------------------------------------------


def _wrong_user_urls(proposal, post, news, event, shop):
    return [
        ("post", reverse("governance:proposal_vote", args=[proposal.pk]), 403),
        ("post", reverse("governance:proposal_comment", args=[proposal.pk]), 403),
        ("get", reverse("governance:proposal_new"), 403),
        ("post", reverse("governance:proposal_new"), 403),
        ("get", reverse("governance:noticeboard"), 403),
        ("get", reverse("governance:notice_new"), 403),
        ("get", reverse("governance:notice_detail", args=[post.pk]), 403),
        ("post", reverse("governance:notice_detail", args=[post.pk]), 403),
        ("post", reverse("governance:notice_close", args=[post.pk]), 403),
        ("get", reverse("governance:shop_news", args=[shop.pk]), 404),
        ("post", reverse("governance:shop_news", args=[shop.pk]), 404),
        ("get", reverse("governance:shop_news_edit", args=[shop.pk, news.pk]), 404),
        ("post", reverse("governance:shop_news_edit", args=[shop.pk, news.pk]), 404),
        ("get", reverse("governance:shop_event_edit", args=[shop.pk, event.pk]), 404),
        ("post", reverse("governance:shop_event_edit", args=[shop.pk, event.pk]), 404),
    ]


@pytest.fixture
def owned_things(voters, fee_proposal):
    from django.utils import timezone

    from governance.models import NoticeboardPost, ShopEvent, ShopNews

    member, owner = voters[0]
    now = timezone.now()
    post = NoticeboardPost.objects.create(
        member=member,
        author=owner,
        kind="offer",
        category="other",
        title="Ladder",
        body="B",
        expires_on=now.date() + datetime.timedelta(days=5),
    )
    news = ShopNews.objects.create(shop=member.shop, title="N", body="B", published_at=now)
    event = ShopEvent.objects.create(
        shop=member.shop, title="E", starts_at=now, ends_at=now + datetime.timedelta(hours=1)
    )
    return fee_proposal, post, news, event, member.shop


@pytest.mark.parametrize("index", range(15))
def test_every_governance_url_refuses_a_wrong_user_and_changes_nothing(
    client, owned_things, voters, index
):
    from governance.models import Comment, NoticeboardPost, NoticeboardReply, ShopNews, Vote

    proposal, post, news, event, shop = owned_things
    method, url, status = _wrong_user_urls(*owned_things)[index]
    data = {
        "member": voters[0][0].pk,
        "choice": "yes",
        "body": "x",
        "title": "Changed",
        "delete": "1",
        "kind": "poll",
        "rationale": "R",
        "options": "A\nB",
        "form": "news",
        "news-title": "T",
        "news-body": "B",
    }
    # Anonymous: sent to log in. A stranger (no member, no shop): refused.
    assert getattr(client, method)(url, data).status_code == 302
    client.force_login(UserFactory())
    assert getattr(client, method)(url, data).status_code == status
    # A member owning another shop: refused for that shop's things, and cannot act for it.
    client.force_login(voters[1][1])
    if "/shops/" in url:
        assert getattr(client, method)(url, data).status_code == 404
    if "vote" in url:
        assert getattr(client, method)(url, data).status_code == 403
    assert not Vote.objects.exists() and not Comment.objects.exists()
    assert not NoticeboardReply.objects.exists()
    assert NoticeboardPost.objects.get().closed_at is None
    assert ShopNews.objects.get().title == "N"


def test_fees_of_collected_orders_are_summed_by_month_and_loyalty_figures_shown(
    client, monkeypatch
):
    from djmoney.money import Money

    from governance import selectors
    from orders.services import checkout_place
    from orders.tests.factories import cart_with, open_shop, pickup_request
    from shops.tests.factories import ProductFactory

    shop = open_shop()
    product = ProductFactory(shop=shop, price=Money("10.00", "EUR"), stock_quantity=20)
    placed = []
    for _ in range(3):
        cart = cart_with([(product, "1")])
        placed.append(
            checkout_place(
                cart=cart, customer=cart.user, request=pickup_request([shop])
            ).orders.get()
        )
    from orders.models import Order

    Order.objects.filter(pk__in=[placed[0].pk, placed[1].pk]).update(status="collected")
    fee = placed[0].platform_fee.amount
    monkeypatch.setattr(
        selectors,
        "loyalty_figures",
        lambda: {
            "settlements": [{"month": datetime.date(2026, 10, 1), "value": Money("12.30", "EUR")}],
            "expired": [{"month": datetime.date(2026, 9, 1), "points": 420}],
        },
    )
    response = client.get(reverse("governance:transparency"))
    assert response.context["fees_by_month"][-1][1] == 2 * fee  # the third is not collected
    page = response.content.decode()
    assert "Fees collected by month" in page
    assert "€12.30" in page and "420" in page


def test_a_refused_vote_by_htmx_shows_the_reason_in_the_panel(client, voters, fee_proposal):
    from governance.models import Vote

    (member_a, owner_a), (member_b, _owner_b) = voters
    client.force_login(owner_a)
    url = reverse("governance:proposal_vote", args=[fee_proposal.pk])
    htmx = {"HX-Request": "true"}
    client.post(url, {"member": member_a.pk, "choice": "no"}, headers=htmx)
    again = client.post(url, {"member": member_a.pk, "choice": "yes"}, headers=htmx)
    assert again.status_code == 200 and "already voted" in again.content.decode()
    wrong = client.post(url, {"member": member_b.pk, "choice": "yes"}, headers=htmx)
    assert "only act for a member you belong to" in wrong.content.decode()
    assert list(Vote.objects.values_list("member_id", "choice")) == [(member_a.pk, "no")]


def test_proposing_an_admission_without_applying_shops_says_so(client, voters):
    client.force_login(voters[0][1])
    page = client.get(reverse("governance:proposal_new"), {"kind": "admission"})
    assert "No shop is applying" in page.content.decode()


def test_every_governance_url_is_public_or_walked_with_a_wrong_user(owned_things):
    from django.urls import resolve

    from governance.urls import urlpatterns

    public = {
        "cooperative",
        "proposal_list",
        "proposal_detail",
        "transparency",
        "calendar",
        "calendar_ics",
    }
    logged_in_anyone = {"apply"}  # anyone may apply to join with a shop
    walked = {resolve(url).url_name for _m, url, _s in _wrong_user_urls(*owned_things)}
    assert {p.name for p in urlpatterns} == public | logged_in_anyone | walked


def test_with_an_open_ballot_members_see_how_each_member_voted(client, voters, settings):
    from django.utils import timezone

    from governance import services

    settings.GOVERNANCE_SECRET_BALLOT = False
    (member_a, owner_a), (member_b, owner_b) = voters
    proposal = services.proposal_create(
        user=owner_a,
        member_id=member_a.pk,
        kind="fee",
        title="Open ballot",
        rationale="R",
        fee_percent="4.00",
        effective_on=services.earliest_effective_day(now=timezone.now()),
    )
    services.vote_cast(proposal_id=proposal.pk, user=owner_b, member_id=member_b.pk, choice="no")
    client.force_login(owner_a)
    page = client.get(proposal.get_absolute_url())
    assert [(v.member, v.choice) for v in page.context["open_votes"]] == [(member_b, "no")]
    assert "How members voted" in page.content.decode()
    assert page.context["tally"].no == 1  # counts shown while the vote runs


def test_with_a_secret_ballot_nobody_sees_how_a_member_voted(client, voters, fee_proposal):
    from governance import services

    member_b, owner_b = voters[1]
    services.vote_cast(
        proposal_id=fee_proposal.pk, user=owner_b, member_id=member_b.pk, choice="no"
    )
    client.force_login(voters[0][1])
    page = client.get(fee_proposal.get_absolute_url())
    assert not page.context["open_votes"] and "How members voted" not in page.content.decode()


def test_the_town_calendar_can_be_subscribed_to(client, voters):
    from django.utils import timezone

    from governance.models import ShopEvent

    shop = voters[0][0].shop
    start = timezone.now() + datetime.timedelta(days=3)
    ShopEvent.objects.create(
        shop=shop,
        title="Tasting, with cheese; and wine",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
    )
    response = client.get(reverse("governance:calendar_ics"))
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "SUMMARY:Tasting\\, with cheese\\; and wine" in body
    assert body.count("BEGIN:VEVENT") == 1 and body.endswith("END:VCALENDAR\r\n")


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "2026-13", "x"])
def test_the_calendar_shows_this_month_for_a_month_it_cannot_show(client, month):
    from django.utils import timezone

    response = client.get(reverse("governance:calendar"), {"month": month})
    assert response.status_code == 200
    assert response.context["month"] == timezone.localdate().replace(day=1)
