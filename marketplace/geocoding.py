"""Addresses to map positions. A Nominatim-compatible service when GEOCODER_URL is set
(through geopy); otherwise the node's postcode centres, which the customer then refines by
moving the pin."""

from urllib.parse import urlsplit

from django.conf import settings
from geopy.exc import GeopyError
from geopy.geocoders import Nominatim

from .geo import Point
from .models import Postcode

# Tests put a fake at the geocoder's HTTP boundary here (a geopy adapter class).
ADAPTER_FACTORY = None


def _nominatim() -> Nominatim:
    parts = urlsplit(settings.GEOCODER_URL)
    options = {"user_agent": settings.GEOCODER_USER_AGENT, "timeout": 5}
    if ADAPTER_FACTORY is not None:
        options["adapter_factory"] = ADAPTER_FACTORY
    return Nominatim(domain=parts.netloc + parts.path.rstrip("/"), scheme=parts.scheme, **options)


def geocode(*, street: str, postcode: str, city: str) -> Point | None:
    """The position of an address, or None when it cannot be found (or the service fails)."""
    if settings.GEOCODER_URL:
        try:
            found = _nominatim().geocode(
                {"street": street, "postalcode": postcode, "city": city}, exactly_one=True
            )
        except GeopyError:
            found = None
        if found is not None:
            return Point(found.latitude, found.longitude)
    area = Postcode.objects.filter(code__iexact=postcode.strip()).first()
    if area is not None:
        return Point(area.latitude, area.longitude)
    return None
