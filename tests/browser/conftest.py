"""Browser tests: Playwright driving Debian's chromium against a live server holding the
demo town. `playwright install` cannot download here, so chromium must be the system one;
a missing chromium fails the run rather than skipping it."""

import os
import shutil

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures
# are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def demo_town(live_server):
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    return live_server


# One seeded town and one logged-in browser context per person and screen size, shared by a
# module's tests, so page-by-page checks (axe-core, widths) stay fast: seeding and logging in
# once per module instead of once per page.
DEMO_PASSWORD = "commonplace-demo"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def seeded_town(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo town behind a live server for the whole module; the database is emptied
    afterwards, as a transactional test would leave it."""
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    media.enable()
    with django_db_blocker.unblock():
        call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield server
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            call_command("flush", interactive=False, verbosity=0)
            media.disable()


@pytest.fixture(scope="module")
def signed_in(browser, seeded_town):
    """signed_in(email or None, viewport) -> a page in a context logged in as that person,
    made once per person and size."""
    contexts = {}

    def page_for(email, viewport):
        key = (email, viewport["width"])
        if key not in contexts:
            context = browser.new_context(viewport=viewport, locale="en-US")
            page = context.new_page()
            page.set_default_timeout(15_000)
            if email:
                page.goto(f"{seeded_town.url}/accounts/login/")
                page.get_by_label("Email").fill(email)
                page.get_by_label("Password").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign In").click()
                page.wait_for_url(lambda url: "/accounts/login/" not in url)
            contexts[key] = page
        return contexts[key]

    yield page_for
    for page in contexts.values():
        page.context.close()
