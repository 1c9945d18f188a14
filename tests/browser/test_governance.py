"""Two member shops vote on a new fee; the vote closes; the transparency page and the next
checkout show the new fee, and the shop's order names the vote that set it."""

import datetime
import re

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from governance.models import Proposal, ProposalEvent, Vote
from governance.services import earliest_effective_day
from governance.tasks import close_due_proposals_task
from orders.models import Order
from shops.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "commonplace-demo"


def log_in(page, base, email):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def vote_yes(page, base, title):
    page.goto(f"{base}/cooperative/proposals/")
    page.get_by_role("link", name=title).click()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Cast vote").click()
    expect(page.get_by_text("Your vote is counted")).to_be_visible()
    expect(page.get_by_role("button", name="Change vote")).to_be_visible()


def pass_time_until_effective(proposal):
    """Move the vote into the past, as if the days until its effective date had gone by."""
    days = datetime.timedelta(days=(proposal.effective_on - timezone.localdate()).days)
    Proposal.objects.filter(pk=proposal.pk).update(
        opens_at=F("opens_at") - days,
        closes_at=F("closes_at") - days,
        effective_on=F("effective_on") - days,
    )
    Vote.objects.filter(proposal=proposal).update(
        cast_at=F("cast_at") - days, changed_at=F("changed_at") - days
    )
    ProposalEvent.objects.filter(proposal=proposal).update(created_at=F("created_at") - days)


def test_two_members_vote_a_new_fee_which_the_next_checkout_uses(page, demo_town, settings):
    settings.GOVERNANCE_QUORUM_PERCENT = "10"  # two of the demo town's member shops suffice
    base = demo_town.url
    title = "Three and a half percent"

    log_in(page, base, "baker@lindenfeld.example")
    page.get_by_role("button", name="Menu").click()  # the phone's menu
    page.get_by_role("link", name="Cooperative", exact=True).click()
    page.get_by_role("link", name="Proposals and votes").click()
    page.get_by_role("link", name="Make a proposal").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Rationale").fill("Our costs fell again; let the shops keep more.")
    page.get_by_label("New fee (%)").fill("3.5")
    effective = earliest_effective_day(now=timezone.now())
    page.get_by_label("Effective from").fill(effective.isoformat())
    page.get_by_role("button", name="Open the vote").click()
    expect(page.get_by_text("Your proposal is open for votes.")).to_be_visible()
    expect(page.get_by_text("Quorum: 10 %")).to_be_visible()
    vote_yes(page, base, title)

    log_in(page, base, "grocer@lindenfeld.example")
    vote_yes(page, base, title)
    # Secret ballot: two votes cast, the counts hidden until the close.
    expect(page.get_by_text(re.compile(r"^2 of \d+ members have voted"))).to_be_visible()
    expect(page.get_by_text("the counts are shown when the vote closes")).to_be_visible()

    proposal = Proposal.objects.get(title=title)
    pass_time_until_effective(proposal)
    assert close_due_proposals_task() >= 1
    proposal.refresh_from_db()
    assert (proposal.status, proposal.yes_count) == ("accepted", 2)

    page.goto(f"{base}/cooperative/transparency/")
    expect(page.get_by_text("3.50 %").first).to_be_visible()
    page.get_by_role("link", name="see the vote").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_text("The fee is 3.50 % for orders from")).to_be_visible()

    # The next checkout copies the new fee onto the order and names the vote.
    bread = (
        Product.objects.filter(
            shop__slug="lindenfeld-sourdough-bakery", stock_quantity__gte=2, unit="piece"
        )
        .order_by("pk")
        .first()
    )
    log_in(page, base, "customer@lindenfeld.example")
    page.goto(f"{base}{bread.get_absolute_url()}")
    page.get_by_role("button", name="Add to cart").click()
    page.get_by_role("link", name=re.compile("^Cart")).click()
    page.get_by_role("link", name="Go to checkout").click()
    bakery = page.get_by_role("group", name="Lindenfeld Sourdough Bakery")
    bakery.get_by_label("Pick up at the shop").check()
    bakery.get_by_label("Pickup time").select_option(index=1)
    page.get_by_label("Your name").fill("Chris Customer")
    page.get_by_label("Pay at pickup or on delivery").check()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name=re.compile("Your purchase"))).to_be_visible()
    order = Order.objects.get(
        shop__slug="lindenfeld-sourdough-bakery",
        purchase__customer__email="customer@lindenfeld.example",
    )
    assert order.platform_fee_percent == proposal.fee_percent
    assert order.fee_decision == proposal

    log_in(page, base, "baker@lindenfeld.example")
    page.goto(f"{base}/shop-orders/{order.shop_id}/{order.pk}/")
    expect(page.get_by_text(re.compile(r"\(3\.50 %"))).to_be_visible()
    page.get_by_role("link", name="set by the members' vote").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
