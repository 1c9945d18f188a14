"""Quantities read as people say them, with the unit in the right number."""

from decimal import Decimal

import pytest
from django.utils import translation

from shops.quantities import quantity_with_unit


@pytest.mark.parametrize(
    "quantity, unit, words",
    [
        (Decimal("1"), "piece", "1 piece"),
        (Decimal("21"), "piece", "21 pieces"),
        (Decimal("1.000"), "litre", "1 litre"),
        (Decimal("0.5"), "litre", "0.5 litres"),
        (Decimal("1.5"), "hour", "1.5 hours"),
        (Decimal("2.500"), "kg", "2.5 kg"),
    ],
)
def test_quantity_with_unit(quantity, unit, words):
    with translation.override("en"):
        assert quantity_with_unit(quantity, unit) == words


def test_quantity_with_unit_in_german():
    with translation.override("de"):
        assert quantity_with_unit(Decimal("21"), "piece") == "21 Stück"
        assert quantity_with_unit(Decimal("1.5"), "hour") == "1.5 Stunden"
