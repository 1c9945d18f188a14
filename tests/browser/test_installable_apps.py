"""The courier app and the supporter wallet install as apps of their own: Chromium finds
nothing in the way of installing either, each page links the manifest of its app with the
right scope, start page, name and icons, and the app's service worker controls its pages."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from .conftest import CHROMIUM, CHROMIUM_ARGS
from .test_courier import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, tmp_path):
    """A page in a profile of its own on disk: Chromium installs no app from an incognito
    context, which is what a plain new context is."""
    context = browser.browser_type.launch_persistent_context(
        tmp_path / "profile",
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        viewport={"width": 390, "height": 844},
        locale="en-US",
    )
    page = context.pages[0] if context.pages else context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


# What the page's own manifest link serves, fetched by the page itself; and each icon,
# decoded, so a missing or mis-sized icon shows up here and not on a courier's phone.
FETCH_MANIFEST = """async () => {
  const link = document.querySelector("link[rel=manifest]");
  const response = await fetch(link.href);
  const manifest = await response.json();
  const icons = [];
  for (const icon of manifest.icons) {
    const image = await fetch(icon.src);
    const bitmap = await createImageBitmap(await image.blob());
    icons.push({src: icon.src, status: image.status, type: image.headers.get("content-type"),
                size: bitmap.width + "x" + bitmap.height, purpose: icon.purpose,
                sizes: icon.sizes});
  }
  return {contentType: response.headers.get("content-type"), manifest, icons};
}"""

# The scope of the service worker that has taken the page; null if none has within 10 s
# (navigator.serviceWorker.ready alone would wait for ever).
CONTROLLING_SCOPE = """async () => {
  const none = new Promise((resolve) => setTimeout(() => resolve(null), 10000));
  const registration = await Promise.race([navigator.serviceWorker.ready, none]);
  return registration && registration.scope;
}"""


def installability_errors(page) -> list[dict]:
    cdp = page.context.new_cdp_session(page)
    try:
        return cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    finally:
        cdp.detach()


def served_manifest(page) -> dict:
    return page.evaluate(FETCH_MANIFEST)


def assert_icons(icons: list[dict], app: str) -> None:
    assert [(i["sizes"], i["purpose"]) for i in icons] == [
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    ]
    for icon in icons:
        assert icon["status"] == 200, icon
        assert icon["type"] == "image/png", icon
        assert icon["size"] == icon["sizes"], icon
        assert f"/icons/{app}-" in icon["src"]


@pytest.mark.parametrize(
    ("email", "path", "scope", "start_url", "name", "app", "heading"),
    [
        (
            "courier@lindenfeld.example",
            "/couriers/jobs/",
            "/couriers/",
            "/couriers/jobs/",
            f"{settings.SITE_NAME} couriers",
            "courier",
            "Jobs",
        ),
        (
            "customer@lindenfeld.example",
            "/wallet/",
            "/wallet/",
            "/wallet/",
            f"{settings.SITE_NAME} wallet",
            "wallet",
            "My points",
        ),
    ],
    ids=["courier-app", "wallet"],
)
def test_each_app_is_installable_with_its_own_manifest(
    page, demo_town, email, path, scope, start_url, name, app, heading
):
    base = demo_town.url
    log_in(page, base, email)
    page.goto(f"{base}{path}")
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()

    # The app's service worker takes the page, in the app's scope and not the whole site.
    assert page.evaluate(CONTROLLING_SCOPE) == f"{base}{scope}"
    assert installability_errors(page) == []

    served = served_manifest(page)
    assert served["contentType"] == "application/manifest+json"
    manifest = served["manifest"]
    assert manifest["scope"] == scope
    assert manifest["start_url"] == start_url
    assert manifest["name"] == name
    assert manifest["display"] == "standalone"
    assert_icons(served["icons"], app)


def test_the_public_site_is_installable_under_the_nodes_name(page, demo_town):
    base = demo_town.url
    page.goto(f"{base}/")
    assert installability_errors(page) == []
    served = served_manifest(page)
    assert served["manifest"]["name"] == settings.SITE_NAME
    assert served["manifest"]["scope"] == "/"
    assert_icons(served["icons"], "site")
    favicon = page.request.get(f"{base}/favicon.ico")
    assert favicon.ok
    assert favicon.headers["content-type"] == "image/vnd.microsoft.icon"


def test_the_supporter_card_still_shows_without_a_connection(page, demo_town):
    base = demo_town.url
    log_in(page, base, "customer@lindenfeld.example")
    page.goto(f"{base}/wallet/")
    assert page.evaluate(CONTROLLING_SCOPE) == f"{base}/wallet/"
    page.get_by_role("link", name="Show my card").click()
    expect(page.get_by_role("heading", name="My supporter card")).to_be_visible()
    number = page.get_by_label("Card number").inner_text()

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="My supporter card")).to_be_visible()
    expect(page.get_by_label("Card number")).to_have_text(number)


def test_the_courier_app_opens_without_a_connection(page, demo_town):
    base = demo_town.url
    log_in(page, base, "courier@lindenfeld.example")
    page.goto(f"{base}/couriers/jobs/")
    assert page.evaluate(CONTROLLING_SCOPE) == f"{base}/couriers/"
    page.reload()  # now through the app's service worker, which keeps a copy
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()

    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sort by distance from me")).to_be_visible()


def test_the_old_service_worker_for_the_whole_site_retires_itself(page, demo_town):
    # Phones that installed the courier app before it had its own scope hold a worker
    # registered for "/" from /service-worker.js; on its next update it must let go.
    base = demo_town.url
    page.goto(f"{base}/")
    gone = page.evaluate(
        """async () => {
      await navigator.serviceWorker.register("/service-worker.js", {scope: "/"});
      for (let i = 0; i < 100; i++) {
        const scopes = (await navigator.serviceWorker.getRegistrations()).map((r) => r.scope);
        if (!scopes.includes(location.origin + "/")) return true;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return false;
    }"""
    )
    assert gone is True
