"""On a phone, a visitor writes a shopping list, sees where in town each thing is, plans
the trip from their position, ticks something off, and puts everything into the cart."""

import datetime
import re

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import CartLine
from shops.models import OpeningHours, Shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_all_day(demo_town):
    """Whatever time the test runs, every shop is open."""
    OpeningHours.objects.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(shop=shop, weekday=day, opens=datetime.time(0), closes=datetime.time(23, 59))
        for shop in Shop.objects.all()
        for day in range(7)
    )
    return demo_town


@pytest.fixture
def phone(browser):
    """A phone standing in the town centre that lets the site know where it is."""
    latitude, longitude = settings.NODE_CENTRE
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="en-US",
        geolocation={"latitude": latitude, "longitude": longitude},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_write_a_list_plan_the_trip_and_put_everything_into_the_cart(phone, open_all_day):
    page, base = phone, open_all_day.url
    page.goto(base)
    page.get_by_role("button", name="Menu").click()  # the phone's menu
    page.get_by_role("link", name="Shopping list").click()

    page.get_by_label("What do you need?").fill(
        "2 kg potatoes\n500g coffee\n3 x oat milk\ninner tube 28 inch\nunicorn glitter"
    )
    page.get_by_role("button", name="Find it in town").click()

    expect(page.get_by_text("4 of 5 things found in town")).to_be_visible()
    expect(page.get_by_text("No shop in town sells this yet")).to_be_visible()
    page.get_by_label("Add to the list").fill("a dozen eggs")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("5 of 6 things found in town")).to_be_visible()
    page.get_by_role("button", name="Tick off “unicorn glitter”").click()
    expect(page.get_by_text("5 of 5 things found in town")).to_be_visible()
    page.screenshot(path="test-results/shopping-list-phone.png", full_page=True)

    page.get_by_role("link", name="Plan the trip").click()
    page.get_by_role("button", name="Use my position").click()

    expect(page.get_by_role("heading", name="3 shops")).to_be_visible()
    stops = page.locator(".trip-stops > li h3")
    assert set(stops.all_inner_texts()) == {
        "Green Basket Organic Grocer",
        "Bean There Coffee Roasters",
        "Spoke & Chain Bicycles",
    }
    expect(page.locator(".trip-summary")).to_contain_text(re.compile(r"\d+\.\d km"))
    expect(
        page.get_by_text(re.compile(r"about \d+ min on foot or \d+ min by bike"))
    ).to_be_visible()
    expect(page.locator("#trip-map .trip-stop")).to_have_count(3)
    expect(page.get_by_role("heading", name="Deliver it instead")).to_be_visible()
    page.screenshot(path="test-results/shopping-trip-phone.png", full_page=True)

    page.get_by_role("button", name=re.compile(r"Put everything in the cart \(€")).click()

    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text("5 things from your list are in the cart.")).to_be_visible()
    titles = set(CartLine.objects.values_list("product__title", flat=True))
    assert len(titles) == 5
    assert any("potatoes" in t for t in titles) and any("coffee beans" in t for t in titles)
    assert any("28 inch" in t for t in titles) and any("eggs" in t for t in titles)


def test_plan_saturdays_trip_ahead_and_a_past_time_is_refused(phone, demo_town):
    """Planned any day of the week, the trip is for next Saturday at 10:00 with the demo
    town's own hours."""
    page, base = phone, demo_town.url
    page.goto(f"{base}/list/")
    page.get_by_label("What do you need?").fill("2 kg potatoes\nsourdough loaf\ninner tube")
    page.get_by_role("button", name="Find it in town").click()
    page.get_by_role("link", name="Plan the trip").click()

    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    page.get_by_label("Later: choose a day and time").check()
    page.get_by_label("Day", exact=True).fill(yesterday.isoformat())
    page.get_by_label("Time", exact=True).fill("10:00")
    page.get_by_role("button", name="Use my position").click()
    expect(page.get_by_text(re.compile(r"has passed\. Choose a later time"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Setting off now"))).to_be_visible()

    saturday = today + datetime.timedelta(days=(5 - today.weekday()) % 7 or 7)
    page.get_by_label("Day", exact=True).fill(saturday.isoformat())
    page.get_by_label("Time", exact=True).fill("10:00")
    page.get_by_role("button", name="Use my position").click()

    expect(
        page.get_by_text(f"Setting off Saturday {saturday.day} {saturday:%b} at 10:00")
    ).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^\d+ shops?$"))).to_be_visible()
    expect(page.locator(".trip-stops > li").first).to_contain_text(re.compile(r"open until"))
    expect(page.get_by_label("Later: choose a day and time")).to_be_checked()
    page.screenshot(path="test-results/shopping-trip-saturday-phone.png", full_page=True)
