"""Shopping-list lines read as people write them: amounts, units and sizes."""

from decimal import Decimal

import pytest

from shops.lists.parsing import (
    Measure,
    parse_line,
    quantity_to_buy,
    split_lines,
    title_size,
    unit_fit,
)


@pytest.mark.parametrize(
    ("written", "query", "amount", "measure"),
    [
        ("2 kg potatoes", "potatoes", "2", Measure.MASS),
        ("500g coffee", "coffee", "0.5", Measure.MASS),
        ("3 x oat milk", "oat milk", "3", Measure.COUNT),
        ("3x oat milk", "oat milk", "3", Measure.COUNT),
        ("oat milk x3", "oat milk", "3", Measure.COUNT),
        ("potatoes 2kg", "potatoes", "2", Measure.MASS),
        ("eggs, 10", "eggs", "10", Measure.COUNT),
        ("a dozen eggs", "eggs", "12", Measure.COUNT),
        ("1,5 l milk", "milk", "1.5", Measure.VOLUME),
        ("250 ml cream", "cream", "0.25", Measure.VOLUME),
        ("½ kg cheese", "cheese", "0.5", Measure.MASS),
        ("2 packs of cookies", "cookies", "2", Measure.PACK),
        ("- [ ] 2 jars honey", "honey", "2", Measure.PACK),
    ],
)
def test_amounts_and_units_are_understood(written, query, amount, measure):
    parsed = parse_line(written)
    assert parsed.query == query
    assert parsed.amount.value == Decimal(amount)
    assert parsed.amount.measure == measure


@pytest.mark.parametrize(
    "written", ["inner tube 28 inch", "28 inch inner tube", "oat milk", "Bread"]
)
def test_sizes_are_looked_for_and_plain_lines_have_no_amount(written):
    parsed = parse_line(written)
    assert parsed.amount is None
    assert parsed.query == written.lower()


@pytest.mark.parametrize("written", ["%$§&", "12345", "!!! ???", "---"])
def test_lines_of_symbols_or_numbers_have_nothing_to_look_for(written):
    assert not parse_line(written).readable


def test_a_written_list_is_split_into_its_non_empty_lines():
    assert split_lines("oat milk\n\n  \r\n2 kg potatoes\x00\n") == ["oat milk", "2 kg potatoes"]


@pytest.mark.parametrize(
    ("line", "unit", "step", "title", "expected"),
    [
        ("500g coffee", "piece", "1", "Peru coffee beans 250 g", "2"),
        ("500g coffee", "piece", "1", "Peru coffee beans 1 kg", "1"),
        ("2 kg potatoes", "kg", "0.5", "Waxy potatoes", "2"),
        ("300 g cheese", "kg", "0.1", "Mountain cheese", "0.3"),
        ("3 x oat milk", "litre", "0.5", "Barista oat milk", "3"),
        ("a dozen eggs", "piece", "1", "Organic free-range eggs box of 6", "2"),
        ("a dozen eggs", "piece", "1", "Organic free-range eggs box of 10", "2"),
        ("2 packs of cookies", "piece", "1", "Oat cookies pack of 6", "2"),
        ("oat milk", "litre", "0.5", "Barista oat milk", "0.5"),
        ("rice", "kg", "0.1", "Brown rice", "0.5"),
        ("inner tube 28 inch", "piece", "1", "Presta inner tube 28 inch", "1"),
        ("1.2 kg sausages", "kg", "0.5", "Herb sausages", "1.5"),
    ],
)
def test_the_quantity_to_buy_covers_what_the_line_asks_for_in_whole_steps(
    line, unit, step, title, expected
):
    amount = parse_line(line).amount
    quantity = quantity_to_buy(amount, unit=unit, step=Decimal(step), title=title)
    assert quantity == Decimal(expected)


def test_sizes_in_titles_and_how_well_a_unit_suits_an_amount():
    assert title_size("Coffee beans 250 g").value == Decimal("0.25")
    assert title_size("White wall paint 2.5 litres").measure == Measure.VOLUME
    assert title_size("Kids' helmet S") is None
    half_kilo = parse_line("500g coffee").amount
    beans = unit_fit(half_kilo, unit="piece", title="Peru coffee beans 250 g")
    repair = unit_fit(half_kilo, unit="hour", title="Coffee machine repair")
    filter_ = unit_fit(half_kilo, unit="piece", title="Paper coffee filter")
    assert beans > filter_ > repair
