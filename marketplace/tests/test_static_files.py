"""Static files as production serves them: collected with content hashes and compressed
copies, served by WhiteNoise with far-future caching, and linked from pages by hashed name."""

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
ONE_YEAR = 365 * 24 * 3600


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES):
        # Django's admin files are left out: they only make the collection slower.
        call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=["admin"])
        yield root


def hashed_stylesheet(root) -> str:
    (css,) = [p for p in (root / "css").glob("commonplace.*.css")]
    return css.name


def test_collectstatic_writes_gzip_and_brotli_copies_of_hashed_files(collected):
    name = hashed_stylesheet(collected)
    assert re.fullmatch(r"commonplace\.[0-9a-f]{12}\.css", name)
    for suffix in (".gz", ".br"):
        assert (collected / "css" / f"{name}{suffix}").stat().st_size > 0


@pytest.mark.parametrize("accept, encoding", [("br, gzip", "br"), ("gzip", "gzip"), ("", None)])
def test_a_hashed_file_is_cached_for_good_and_sent_compressed(collected, accept, encoding):
    url = f"/static/css/{hashed_stylesheet(collected)}"
    response = Client().get(url, HTTP_ACCEPT_ENCODING=accept)
    assert response.status_code == 200
    cache_control = dict(
        (part.split("=") + [None])[:2]
        for part in (p.strip() for p in response["Cache-Control"].split(","))
    )
    assert "immutable" in cache_control and "public" in cache_control
    assert int(cache_control["max-age"]) >= ONE_YEAR
    assert response.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in response["Vary"]


def test_an_unhashed_name_is_cached_briefly(collected):
    response = Client().get("/static/css/commonplace.css")
    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=60, public"


@pytest.mark.django_db
def test_pages_link_the_hashed_names(collected):
    page = Client().get("/").content.decode()
    assert f"/static/css/{hashed_stylesheet(collected)}" in page
