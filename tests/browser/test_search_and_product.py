"""A person searches the demo town on a phone and opens a product."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_the_demo_town_and_open_a_product(page, demo_town):
    page.goto(demo_town.url)
    page.get_by_label("What are you looking for?").fill("sourdough")
    page.get_by_label("What are you looking for?").press("Enter")
    expect(
        page.get_by_role("heading", name=re.compile(r"\d+ results? for “sourdough”"))
    ).to_be_visible()
    page.screenshot(path="test-results/search-phone.png", full_page=True)
    first = page.locator("#results").get_by_role("link", name=re.compile("sourdough", re.I)).first
    title = first.locator("h3").inner_text().strip()
    first.click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    expect(page.get_by_text("Lindenfeld Sourdough Bakery").first).to_be_visible()
    expect(page.locator(".price.big")).to_contain_text("€")


def test_filters_narrow_results_and_bad_values_explain_themselves(page, demo_town):
    page.goto(f"{demo_town.url}/search/")
    page.get_by_text("Filters and sorting").click()
    page.get_by_label("Category").select_option(label="Bread and pastries")
    page.get_by_label("In stock only").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"category=food%2Fbakery.*in_stock=on"))
    expect(page.get_by_role("heading", name=re.compile(r"\d+ products"))).to_be_visible()
    shops = page.locator("#results .product-card .meta a").all_inner_texts()
    assert shops and set(shops) == {"Lindenfeld Sourdough Bakery"}
    page.get_by_text("Filters and sorting").click() if not page.get_by_label(
        "Price from"
    ).is_visible() else None
    page.get_by_label("Price from").fill("9")
    page.get_by_label("Price up to").fill("2")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("The upper price must not be below the lower one.")).to_be_visible()


def test_a_misspelt_search_still_finds_helmets(page, demo_town):
    # Postgres finds titles spelled alike; SQLite corrects the word from the catalogue's.
    page.goto(f"{demo_town.url}/search/?q=helmett")
    expect(page.get_by_text(re.compile(r"^Nothing matched"))).to_be_visible()
    expect(
        page.locator("#results").get_by_role("link", name=re.compile("helmet", re.I)).first
    ).to_be_visible()


def test_a_far_off_spelling_asks_did_you_mean_and_the_link_finds_it(page, demo_town):
    page.goto(f"{demo_town.url}/search/")
    expect(page.get_by_role("searchbox")).to_have_count(1)
    page.get_by_label("Search all shops").fill("surdoh")
    page.get_by_role("button", name="Search", exact=True).click()

    expect(page.get_by_role("heading", name="0 results for “surdoh”")).to_be_visible()
    expect(page.get_by_text("We have told the shops")).to_have_count(0)
    page.get_by_role("link", name="sourdough", exact=True).click()

    expect(
        page.get_by_role("heading", name=re.compile(r"\d+ results? for “sourdough”"))
    ).to_be_visible()
    expect(page.get_by_role("searchbox")).to_have_value("sourdough")


def test_maps_and_scripts_come_from_our_own_server(page, demo_town):
    foreign = []

    def guard(route):
        url = route.request.url
        if not url.startswith(demo_town.url):
            foreign.append((route.request.resource_type, url))
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    page.goto(f"{demo_town.url}/shops/")
    expect(page.locator("#map .leaflet-marker-icon").first).to_be_visible()
    assert not [url for kind, url in foreign if kind in ("script", "stylesheet", "font")]
