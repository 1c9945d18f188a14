import pytest
from django.db.models import Value

from marketplace.geo import Point, bounding_box, distance_expression, distance_km
from shops.tests.factories import ShopFactory

BRANDENBURG_GATE = Point(52.5163, 13.3777)
ALEXANDERPLATZ = Point(52.5219, 13.4132)


def test_distance_between_two_known_places():
    assert distance_km(BRANDENBURG_GATE, ALEXANDERPLATZ) == pytest.approx(2.48, abs=0.03)
    assert distance_km(BRANDENBURG_GATE, BRANDENBURG_GATE) == 0


def test_bounding_box_contains_the_circle():
    min_lat, max_lat, min_lon, max_lon = bounding_box(BRANDENBURG_GATE, 3)
    assert min_lat < ALEXANDERPLATZ.latitude < max_lat
    assert min_lon < ALEXANDERPLATZ.longitude < max_lon
    edge = Point(max_lat, BRANDENBURG_GATE.longitude)
    assert distance_km(BRANDENBURG_GATE, edge) == pytest.approx(3, abs=0.01)


@pytest.mark.django_db
def test_the_database_computes_the_same_distance_as_python():
    shop = ShopFactory(latitude=ALEXANDERPLATZ.latitude, longitude=ALEXANDERPLATZ.longitude)
    annotated = (
        type(shop)
        .objects.annotate(d=distance_expression(BRANDENBURG_GATE, "latitude", "longitude"))
        .annotate(marker=Value(1))
        .get(pk=shop.pk)
    )
    assert annotated.d == pytest.approx(distance_km(BRANDENBURG_GATE, ALEXANDERPLATZ), rel=1e-6)
