"""Every kind of email keeps names as they are in its plain text ("Hoof & Herb", never
"Hoof &amp; Herb") while its HTML part escapes them: a shop, product, campaign, proposal and
node named with & < > " ' go through each email the node sends."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.html import escape

from governance import services as governance_services
from governance.tests.factories import member_shops
from loyalty import services as loyalty_services
from loyalty.models import Campaign
from loyalty.presales import services as presales
from loyalty.presales.tests.factories import campaign, give_points, paid_pledge, redeeming
from loyalty.tests.test_points import staff_of
from marketplace.tests.factories import UserFactory
from orders import services as order_services
from orders.tests.factories import cart_with, open_shop, pickup_request
from shops.services.team import team_invite
from shops.tests.factories import ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db

SITE = "Lindenfeld & Co <Node>"
SHOP = "Hoof & Herb <Deli> \"Fine\" 'Foods'"
PRODUCT = "Salt & Pepper <Loaf> \"Big\" 'One'"
CUSTOMER = 'Jo & Jo <"Q"> O\'Neil'
TITLE = "Ovens & Bread <Now> \"Please\" 'Yes'"


@pytest.fixture(autouse=True)
def node_name(settings):
    settings.SITE_NAME = SITE


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def assert_raw_in_text_escaped_in_html(message, *names, html=True):
    for name in names:
        assert name in message.body, f"{name!r} not raw in the plain text of {message.subject!r}"
        assert escape(name) not in message.body
        if html:
            assert escape(name) in html_of(message), f"{name!r} not escaped in the HTML"
            assert name not in html_of(message)
    assert "&amp;" not in message.body and "&lt;" not in message.body
    assert "&amp;" not in message.subject and "&#x27;" not in message.subject


def one_email(subject_part: str):
    found = [m for m in mail.outbox if subject_part in m.subject]
    assert len(found) == 1, [m.subject for m in mail.outbox]
    return found[0]


def test_purchase_new_order_and_order_update(django_capture_on_commit_callbacks):
    shop = open_shop(name=SHOP, email="shop@example.org")
    cart = cart_with([(ProductFactory(shop=shop, title=PRODUCT), "1")])
    with django_capture_on_commit_callbacks(execute=True):
        purchase = order_services.checkout_place(
            cart=cart,
            customer=cart.user,
            request=pickup_request([shop], name=CUSTOMER, notes=TITLE),
        )
    to_customer = one_email("Your order")
    assert_raw_in_text_escaped_in_html(to_customer, SHOP, PRODUCT, CUSTOMER, SITE)
    assert SITE in to_customer.subject
    to_shop = one_email("New order")
    assert_raw_in_text_escaped_in_html(to_shop, SHOP, PRODUCT, TITLE)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_transition(
            order=purchase.orders.get(), to_status="accepted", note=TITLE
        )
    assert_raw_in_text_escaped_in_html(one_email("Accepted"), SHOP, TITLE)


def test_points_expiring_and_card_used(settings, client, django_capture_on_commit_callbacks):
    from django.db import transaction

    from marketplace import events

    supporter = UserFactory(display_name=CUSTOMER)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish("loyalty.points_expiring", user=supporter, points=50)
    assert_raw_in_text_escaped_in_html(one_email("expire soon"), CUSTOMER, SITE)

    shop = ShopFactory(name=SHOP)
    give_points(supporter, 300)
    card = loyalty_services.card_for(supporter)
    client.force_login(staff_of(shop))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/dashboard/{shop.pk}/counter/redeem/",
            {"card": card.number, "key": "k", "points": "120"},
        )
    used = one_email("supporter card was used")
    assert_raw_in_text_escaped_in_html(used, SHOP, CUSTOMER, SITE)
    assert SHOP in used.subject


def test_presale_receipt_news_and_reminder(settings, django_capture_on_commit_callbacks):
    settings.PRESALE_REMINDER_DAYS = 14
    oven = campaign(ShopFactory(name=SHOP), title=TITLE, target="10.00")
    supporter = UserFactory(display_name=CUSTOMER)
    with django_capture_on_commit_callbacks(execute=True):
        paid_pledge(oven, supporter, amount="20.00")
    receipt = one_email("Thank you for backing")
    assert_raw_in_text_escaped_in_html(receipt, SHOP, TITLE, CUSTOMER)
    assert TITLE in receipt.subject

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        redeeming(oven)
    assert_raw_in_text_escaped_in_html(one_email("Redemption open"), SHOP, TITLE, CUSTOMER)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        presales.presale_reminders_due(today=oven.redemption_ends_on - datetime.timedelta(days=10))
    reminder = one_email("Redeem your presale value")
    assert_raw_in_text_escaped_in_html(reminder, SHOP, CUSTOMER)
    assert TITLE in reminder.subject
    assert Campaign.objects.get(pk=oven.pk).status == Campaign.Status.REDEEMING


def test_vote_opened_and_closed(django_capture_on_commit_callbacks):
    now = timezone.now()
    [(member, owner)] = member_shops(1)
    with django_capture_on_commit_callbacks(execute=True):
        proposal = governance_services.proposal_create(
            user=owner,
            member_id=member.pk,
            kind="fee",
            title=TITLE,
            rationale=f"{SHOP} says so.",
            fee_percent="4.00",
            effective_on=governance_services.earliest_effective_day(now=now),
            now=now,
        )
    assert_raw_in_text_escaped_in_html(one_email("New vote"), TITLE, f"{SHOP} says so.")

    mail.outbox.clear()
    governance_services.vote_cast(
        proposal_id=proposal.pk,
        user=owner,
        member_id=member.pk,
        choice="yes",
        now=now + datetime.timedelta(hours=1),
    )
    proposal.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        governance_services.proposals_close_due(
            now=proposal.closes_at + datetime.timedelta(minutes=1)
        )
    assert_raw_in_text_escaped_in_html(one_email("Vote closed"), TITLE)


def test_team_invitation(django_capture_on_commit_callbacks):
    shop = ShopFactory(name=SHOP)
    inviter = UserFactory(display_name=CUSTOMER)
    with django_capture_on_commit_callbacks(execute=True):
        team_invite(
            shop=shop,
            email="new@example.org",
            role="staff",
            invited_by=inviter,
            accept_url=lambda token: f"https://town.example/join/?token={token}&shop=1",
        )
    [invitation] = mail.outbox
    assert_raw_in_text_escaped_in_html(invitation, SHOP, SITE, "&shop=1", html=False)
    assert invitation.subject == f"Join {SHOP} on {SITE}"
