"""Distances on the town's scale. Straight-line (great-circle) distance is what a map pin
gives; routes come later from the logistics app."""

import math
from dataclasses import dataclass

from django.db.models import F, FloatField, Value
from django.db.models.functions import ACos, Cos, Greatest, Least, Radians, Sin

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float

    def is_valid(self) -> bool:
        return -90 <= self.latitude <= 90 and -180 <= self.longitude <= 180


def distance_km(a: Point, b: Point) -> float:
    """Haversine distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bounding_box(centre: Point, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing the circle: an indexable pre-filter."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    cos_lat = max(math.cos(math.radians(centre.latitude)), 1e-6)
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * cos_lat))
    return (
        centre.latitude - dlat,
        centre.latitude + dlat,
        centre.longitude - dlon,
        centre.longitude + dlon,
    )


def distance_expression(centre: Point, lat_field: str, lon_field: str):
    """A database expression for the great-circle distance in km from `centre` (spherical law
    of cosines, clamped so rounding never leaves acos's domain). Works on Postgres and SQLite."""
    lat0 = Value(math.radians(centre.latitude), output_field=FloatField())
    lon0 = Value(math.radians(centre.longitude), output_field=FloatField())
    lat = Radians(F(lat_field))
    lon = Radians(F(lon_field))
    cosine = Sin(lat0) * Sin(lat) + Cos(lat0) * Cos(lat) * Cos(lon - lon0)
    clamped = Least(Greatest(cosine, Value(-1.0)), Value(1.0))
    return ACos(clamped) * Value(EARTH_RADIUS_KM)
