"""The geocoder: Nominatim through geopy with only its HTTP faked, and the postcode fallback."""

from urllib.parse import parse_qs, urlsplit

import pytest
from geopy.adapters import AdapterHTTPError, BaseSyncAdapter

from marketplace import geocoding
from marketplace.models import Postcode

pytestmark = pytest.mark.django_db
REQUESTS = []


class FakeNominatimHTTP(BaseSyncAdapter):
    """Answers like a Nominatim server for one known address, and fails for "Broken"."""

    def get_json(self, url, *, timeout, headers):
        query = parse_qs(urlsplit(url).query)
        REQUESTS.append((url, query, headers))
        if query.get("street") == ["Broken Street 1"]:
            raise AdapterHTTPError("boom", status_code=503, headers={}, text="")
        if query.get("street") == ["Market Street 20"]:
            return [{"lat": "52.5170", "lon": "13.3790", "display_name": "Market Street 20"}]
        return []

    def get_text(self, url, *, timeout, headers):
        raise NotImplementedError


@pytest.fixture
def nominatim(settings, monkeypatch):
    settings.GEOCODER_URL = "https://geocoder.example/nominatim"
    settings.GEOCODER_USER_AGENT = "commonplace-tests"
    monkeypatch.setattr(geocoding, "ADAPTER_FACTORY", FakeNominatimHTTP)
    REQUESTS.clear()
    return REQUESTS


def test_an_address_is_found_through_the_configured_service(nominatim):
    point = geocoding.geocode(street="Market Street 20", postcode="10117", city="Lindenfeld")
    assert (point.latitude, point.longitude) == (52.517, 13.379)
    url, query, headers = nominatim[0]
    assert url.startswith("https://geocoder.example/nominatim/search")
    assert query["postalcode"] == ["10117"] and query["city"] == ["Lindenfeld"]
    assert headers["User-Agent"] == "commonplace-tests"


def test_unknown_addresses_and_failures_fall_back_to_the_postcode_centre(nominatim):
    Postcode.objects.create(code="10117", latitude=52.5163, longitude=13.3777)
    for street in ("Nowhere Lane 1", "Broken Street 1"):
        point = geocoding.geocode(street=street, postcode="10117", city="Lindenfeld")
        assert (point.latitude, point.longitude) == (52.5163, 13.3777)
    assert geocoding.geocode(street="Nowhere Lane 1", postcode="99999", city="X") is None


def test_without_a_service_the_town_uses_its_own_postcodes(settings):
    settings.GEOCODER_URL = ""
    Postcode.objects.create(code="10119", latitude=52.52, longitude=13.38)
    point = geocoding.geocode(street="Church Lane 1", postcode=" 10119 ", city="Lindenfeld")
    assert (point.latitude, point.longitude) == (52.52, 13.38)
