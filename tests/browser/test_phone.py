"""On a phone the header stays small, its menu opens by a button (also from the keyboard),
and no main page scrolls sideways at 360 px."""

import pytest
from playwright.sync_api import expect

from .conftest import PHONE
from .main_pages import BAKER, COURIER, PAGES, page_id, path_of

# The town is seeded once per module (see seeded_town); each test only reads it.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

NARROW = {"width": 360, "height": 740}


def header_height(page) -> float:
    return page.locator("header.site-header").bounding_box()["height"]


def test_the_header_is_small_and_the_menu_opens_by_its_button(signed_in, seeded_town):
    page = signed_in(None, PHONE)
    page.goto(seeded_town.url + "/")
    menu = page.get_by_role("button", name="Menu")
    shops = page.get_by_role("navigation", name="Main").get_by_role("link", name="Shops")

    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(shops).to_be_hidden()
    assert header_height(page) <= 80
    expect(page.get_by_role("link", name="Cart")).to_be_visible()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(shops).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search all shops")).to_be_visible()

    # From the keyboard: Escape closes it and returns to the button; Enter opens it again.
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(shops).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("searchbox", name="Search all shops")).to_be_focused()


def test_without_javascript_the_menu_is_open(browser, seeded_town):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(seeded_town.url + "/")
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Shops")).to_be_visible()
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    finally:
        context.close()


@pytest.mark.parametrize(
    "email, first_links",
    [
        (COURIER, ["Deliveries", "Jobs", "Route", "Earnings"]),
        (BAKER, ["My shop", "Shop orders"]),
    ],
    ids=["courier", "shop owner"],
)
def test_each_role_sees_its_own_work_first(signed_in, seeded_town, email, first_links):
    page = signed_in(email, PHONE)
    page.goto(seeded_town.url + "/")
    page.get_by_role("button", name="Menu").click()
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(links.first).to_be_visible()
    assert links.all_inner_texts()[: len(first_links)] == first_links
    # The cart and the account stay in reach.
    expect(page.get_by_role("link", name="Cart")).to_be_visible()
    expect(page.get_by_role("link", name="My account")).to_be_visible()


@pytest.mark.parametrize("entry", PAGES, ids=[page_id(entry) for entry in PAGES])
def test_no_page_scrolls_sideways_at_360px(signed_in, seeded_town, entry):
    page = signed_in(entry[0], NARROW)
    response = page.goto(seeded_town.url + path_of(entry))
    assert response.ok, f"{page.url} answered {response.status}"
    page.wait_for_load_state("load")
    # For the message: the outermost elements reaching past the right edge.
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1"
        " && e.parentElement.getBoundingClientRect().right <= window.innerWidth + 1)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)]"
    )
    scroll_width, viewport, too_wide = widths
    assert scroll_width <= viewport, f"{scroll_width}px > {viewport}px: {too_wide}"
