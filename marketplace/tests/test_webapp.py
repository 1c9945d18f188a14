"""The node's installable apps as served: the public site's manifest bears the node's name,
each app's pages link their own manifest and service worker, and a favicon is everywhere."""

import json

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from logistics.tests.factories import collective, courier
from marketplace.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MANIFESTS = {
    "marketplace:manifest": ("/", "/", "site"),
    "logistics:manifest": ("/couriers/", "/couriers/jobs/", "courier"),
    "loyalty:wallet_manifest": ("/wallet/", "/wallet/", "wallet"),
}


def manifest_of(response) -> dict:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    return json.loads(response.content)


def test_the_public_sites_manifest_bears_the_nodes_name(client, settings):
    settings.SITE_NAME = "Hoof & Herb Town"
    manifest = manifest_of(client.get(reverse("marketplace:manifest")))
    assert manifest["name"] == "Hoof & Herb Town"
    assert manifest["short_name"] == "Hoof & Herb Town"


def test_the_apps_manifests_carry_the_nodes_name_too(client, settings):
    settings.SITE_NAME = "Lindenfeld"
    assert manifest_of(client.get(reverse("logistics:manifest")))["name"] == "Lindenfeld couriers"
    wallet = manifest_of(client.get(reverse("loyalty:wallet_manifest")))
    assert wallet["name"] == "Lindenfeld wallet"


@pytest.mark.parametrize("url_name", list(MANIFESTS))
def test_each_manifest_is_public_and_whole(client, django_assert_num_queries, url_name):
    # Browsers fetch manifests without cookies: no login, and nothing asked of the database.
    scope, start_url, app = MANIFESTS[url_name]
    with django_assert_num_queries(0):
        manifest = manifest_of(client.get(reverse(url_name)))
    assert (manifest["id"], manifest["scope"], manifest["start_url"]) == (scope, scope, start_url)
    assert manifest["start_url"].startswith(manifest["scope"])
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] and manifest["background_color"]
    assert [(i["sizes"], i["purpose"]) for i in manifest["icons"]] == [
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    ]
    for icon in manifest["icons"] + [i for s in manifest.get("shortcuts", []) for i in s["icons"]]:
        assert icon["src"].startswith(f"/static/icons/{app}-")
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]
    for shortcut in manifest.get("shortcuts", []):
        assert shortcut["url"].startswith(scope)
        assert client.get(shortcut["url"]).status_code in (200, 302)


def test_a_manifest_speaks_the_pages_language_and_ignores_an_unknown_one(client):
    german = manifest_of(client.get(reverse("logistics:manifest"), {"lang": "de"}))
    assert (german["lang"], german["short_name"]) == ("de", "Lieferungen")
    unknown = manifest_of(client.get(reverse("logistics:manifest"), {"lang": "<xx>"}))
    assert (unknown["lang"], unknown["short_name"]) == ("en", "Deliveries")


def test_the_courier_app_links_its_own_manifest_and_service_worker(client):
    rider = courier(collective())
    client.force_login(rider.user)
    for url in (reverse("logistics:courier_home"), reverse("logistics:open_jobs")):
        page = client.get(url).content.decode()
        assert f'href="{reverse("logistics:manifest")}?lang=en"' in page
        assert f'data-service-worker="{reverse("logistics:service_worker")}"' in page
        assert page.count('rel="manifest"') == 1


def test_the_wallet_links_its_own_manifest_and_service_worker(client):
    client.force_login(UserFactory())
    for url in (reverse("loyalty:wallet"), reverse("loyalty:card"), reverse("loyalty:offers")):
        page = client.get(url).content.decode()
        assert f'href="{reverse("loyalty:wallet_manifest")}?lang=en"' in page
        assert f'data-service-worker="{reverse("loyalty:wallet_service_worker")}"' in page


def test_other_pages_link_the_sites_manifest_and_a_favicon(client):
    page = client.get(reverse("marketplace:home")).content.decode()
    assert f'href="{reverse("marketplace:manifest")}?lang=en"' in page
    assert 'rel="icon" href="/favicon.ico"' in page
    assert 'rel="apple-touch-icon" href="/static/icons/site-apple-touch-icon.png"' in page
    assert "data-service-worker" not in page
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200
    assert favicon["Content-Type"] == "image/vnd.microsoft.icon"
    assert favicon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header


@pytest.mark.parametrize(
    "url_name", ["logistics:service_worker", "loyalty:wallet_service_worker", "service_worker"]
)
def test_each_service_worker_is_served_fresh_from_its_scope(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert response["Cache-Control"] == "no-cache"
    assert b"self.registration.scope" in response.content
