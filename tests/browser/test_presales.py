"""A presale on a phone: a customer backs the bakery's campaign (to pay at the shop), the baker
takes the money at the counter by typing the card number, opens redemption now that the
target is reached, and the customer redeems half of the value at the counter; the customer
then sees what is left."""

import datetime

import pytest
from django.utils import timezone
from djmoney.money import Money
from playwright.sync_api import expect

from loyalty.models import Campaign
from loyalty.presales import services as presales
from loyalty.services import card_for
from shops.models import Shop

from .test_courier import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TITLE = "Bread for the allotment"


def test_back_a_campaign_then_redeem_half_at_the_counter(page, demo_town):
    base = demo_town.url
    bakery = Shop.objects.get(slug="lindenfeld-sourdough-bakery")
    today = timezone.localdate()
    campaign = presales.campaign_create(
        shop=bakery,
        actor=None,
        data={
            "title": TITLE,
            "purpose": "Seed and tools for the bakery's allotment garden.",
            "target": Money("40", "EUR"),
            "min_pledge": Money("10", "EUR"),
            "deadline": timezone.now() + datetime.timedelta(days=7),
            "reward": Campaign.Reward.STORE_CREDIT,
            "reward_description": "",
            "redemption_opens_on": today + datetime.timedelta(days=14),
            "redemption_ends_on": today + datetime.timedelta(days=120),
            "if_missed": Campaign.IfMissed.REFUND,
            "accepts_points": False,
        },
    )
    presales.campaign_publish(campaign=campaign, actor=None)

    # The customer finds the campaign, reads the terms and pledges 40 € to pay at the shop.
    log_in(page, base, "customer@lindenfeld.example")
    page.goto(f"{base}/")
    page.get_by_role("button", name="Menu").click()  # the phone's menu
    page.get_by_role("link", name="Presales").first.click()
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_text("interest-free loan to the shop, paid back in goods")).to_be_visible()
    expect(page.get_by_text("Everyone gets their money back")).to_be_visible()
    page.get_by_label("Your pledge (EUR)").fill("40")
    page.get_by_label("At the shop (within a few days)").check()
    page.get_by_role("button", name="Pledge").click()
    expect(page.get_by_text("Pay at the shop within 7 days")).to_be_visible()
    number = card_for(campaign.pledges.get().supporter).number

    # The baker types the card number at the counter and takes the 40 €.
    log_in(page, base, "baker@lindenfeld.example")
    page.goto(f"{base}/dashboard/")
    page.get_by_role("button", name="Shop menu").click()
    page.get_by_role("link", name="Counter").click()
    page.get_by_label("Card number").fill(number)
    page.get_by_role("button", name="Find card").click()
    page.get_by_role("button", name="€40.00 received").click()
    expect(page.get_by_text("Pledge of €40.00 paid: take €40.00.")).to_be_visible()

    # The target is reached: the baker opens redemption now.
    page.get_by_role("button", name="Shop menu").click()
    page.get_by_role("link", name="Presales", exact=True).last.click()
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_text("€40.00 of €40.00 raised")).to_be_visible()
    page.get_by_role("button", name="Open redemption now").click()
    expect(page.get_by_text("Redemption is open")).to_be_visible()
    expect(page.get_by_text("Redemption open", exact=True).first).to_be_visible()

    # At the counter, the customer redeems half.
    page.get_by_role("link", name="Redeem at the counter").click()
    page.get_by_label("Card number").fill(number)
    page.get_by_role("button", name="Find card").click()
    expect(page.get_by_text(f"{TITLE}: €40.00 left")).to_be_visible()
    page.get_by_label(f"Redeem from “{TITLE}” (EUR)").fill("20")
    page.get_by_role("button", name="Redeem", exact=True).click()
    expect(page.get_by_text("Redeemed €20.00. €20.00 left.")).to_be_visible()
    expect(page.get_by_text(f"{TITLE}: €20.00 left")).to_be_visible()

    # The customer sees the value left.
    log_in(page, base, "customer@lindenfeld.example")
    page.goto(f"{base}/presales/mine/")
    row = page.get_by_role("row").filter(has_text=TITLE).first  # the value-left table
    expect(row).to_contain_text("€20.00")
    expect(row).to_contain_text("now, until")
