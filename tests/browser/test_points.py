"""Points on a phone: a customer opens their supporter card, the baker types its number at
the counter and gives points for a purchase, takes some off the next bill, and the customer's
wallet shows both movements."""

import pytest
from playwright.sync_api import expect

from loyalty.models import SupporterCard

from .test_courier import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_card_at_the_counter_gives_and_takes_points(page, demo_town):
    base = demo_town.url
    log_in(page, base, "customer@lindenfeld.example")
    page.goto(f"{base}/wallet/")
    expect(page.get_by_role("heading", name="My points")).to_be_visible()
    page.get_by_role("link", name="Show my card").click()
    number = SupporterCard.objects.get(user__email="customer@lindenfeld.example").number
    expect(page.get_by_text(" ".join([number[:4], number[4:8], number[8:]]))).to_be_visible()

    log_in(page, base, "baker@lindenfeld.example")
    page.goto(f"{base}/dashboard/")
    page.get_by_role("button", name="Shop menu").click()
    page.get_by_role("link", name="Counter").click()
    page.get_by_label("Card number").fill(number)
    page.get_by_role("button", name="Find card").click()
    expect(page.get_by_text("910 points to spend")).to_be_visible()
    page.get_by_label("Purchase amount (EUR)").fill("30")
    page.get_by_role("button", name="Give points").click()
    expect(page.get_by_text("earned 60 points.")).to_be_visible()
    expect(page.get_by_text("970 points to spend")).to_be_visible()
    page.get_by_label("Points to spend").fill("200")
    page.get_by_role("button", name="Spend points").click()
    expect(page.get_by_text("200 points spent: take €2.00 off the bill.")).to_be_visible()
    expect(page.get_by_text("770 points to spend")).to_be_visible()

    log_in(page, base, "customer@lindenfeld.example")
    page.goto(f"{base}/wallet/")
    expect(page.get_by_text("770", exact=True)).to_be_visible()
    rows = page.get_by_role("row")
    expect(rows.filter(has_text="Spent at Lindenfeld Sourdough Bakery")).to_have_count(1)
    expect(rows.filter(has_text="Purchase of €30.00 at the counter")).to_have_count(1)
