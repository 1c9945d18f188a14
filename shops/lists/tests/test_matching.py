"""Matching quality on the demo town (Postgres full text, trigram and the seeded
synonyms): a fixed set of lines as people write them and the shops that should have them."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from shops.lists.matching import lines_from_text, match_lines
from shops.lists.parsing import title_size

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

GROCER = "Green Basket Organic Grocer"
BAKERY = "Lindenfeld Sourdough Bakery"
EXPECTED = [
    # (line, the best offer's shop, every offer's shop must be one of these, title has)
    ("2 kg potatoes", GROCER, {GROCER}, "potatoes"),
    ("spuds", GROCER, {GROCER}, "potatoes"),
    ("500g coffee", "Bean There Coffee Roasters", {"Bean There Coffee Roasters"}, "coffee beans"),
    ("3 x oat milk", GROCER, {GROCER}, "oat milk"),
    ("inner tube 28 inch", "Spoke & Chain Bicycles", {"Spoke & Chain Bicycles"}, "28 inch"),
    ("300 g mountain cheese", "The Cheese Cellar", {"The Cheese Cellar"}, "cheese"),
    ("a dozen eggs", GROCER, {GROCER}, "eggs"),
    ("bread", BAKERY, {BAKERY}, ""),
    ("sourdogh", BAKERY, {BAKERY}, "sourdough"),
    ("tomatoes", GROCER, {GROCER}, "tomatoes"),
    ("screws", "Tin & Thread Hardware", {"Tin & Thread Hardware"}, "screws"),
    ("light bulb", "Tin & Thread Hardware", {"Tin & Thread Hardware"}, "light bulb"),
    ("basil", "Bloom Florist", {"Bloom Florist"}, "basil"),
    ("washing up liquid", "Refill Station", {"Refill Station"}, "washing-up liquid"),
    ("1 kg rolled oats", "Refill Station", {"Refill Station"}, "oats"),
    ("picture book", "Page Turner Books", {"Page Turner Books"}, "picture book"),
    ("bike helmet", "Spoke & Chain Bicycles", {"Spoke & Chain Bicycles"}, "helmet"),
]


@pytest.fixture
def demo_town(db):
    call_command("seed_demo", stdout=io.StringIO())


def test_lines_find_the_shops_that_sell_them(demo_town):
    lines = [line for line, *_ in EXPECTED]

    matches = match_lines(lines_from_text(lines))

    for match, (line, best_shop, allowed, title_has) in zip(matches, EXPECTED, strict=True):
        assert match.offers, f"{line!r} found nothing"
        best = match.offers[0]
        assert best.shop.name == best_shop, (line, best.product.title, best.shop.name)
        assert title_has in best.product.title.lower(), (line, best.product.title)
        shops = {offer.shop.name for offer in match.offers}
        assert shops <= allowed, (line, [(o.product.title, o.shop.name) for o in match.offers])
        assert all(offer.product.in_stock for offer in match.offers)


def test_what_nobody_sells_is_found_nowhere(demo_town):
    (match,) = match_lines(lines_from_text(["unicorn glitter"]))
    assert match.found_nowhere and not match.offers


def test_amounts_become_quantities_of_the_matched_products(demo_town):
    potatoes, coffee = match_lines(lines_from_text(["2 kg potatoes", "500g coffee"]))
    assert potatoes.offers[0].quantity == 2
    for beans in coffee.offers:
        # Half a kilo: two 250 g bags, or one 1 kg bag; never a coffee filter.
        bag = title_size(beans.product.title).value
        assert bag * beans.quantity >= Decimal("0.5")
        assert bag * (beans.quantity - 1) < Decimal("0.5")


def _scans(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _scans(child)


def test_products_are_read_through_the_indexes_whatever_the_statistics(demo_town):
    """Given a planner that guesses reading through an index dear (as it does with stale
    statistics, or an import's rows still in the GIN index's pending list), when a list is
    matched, then its statements still read products only through the GIN indexes: a
    sequential scan chosen on such a guess read the whole table for every line (seconds
    for a 20-line list after a 10,000-row import)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL random_page_cost = 100000")
        with CaptureQueriesContext(connection) as queries:
            matches = match_lines(lines_from_text(["bread", "sourdogh", "unicorn glitter"]))
        assert [bool(m.offers) for m in matches] == [True, True, False]
        # The matching statements planned again under the settings they ran with.
        statements = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].startswith(("SET LOCAL", "\nWITH"))
        ]
        scans = []
        with transaction.atomic():
            for sql in statements:
                if sql.startswith("SET LOCAL"):
                    cursor.execute(sql)
                    continue
                cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
                (plan,) = cursor.fetchone()[0]
                scans += [
                    n for n in _scans(plan["Plan"]) if n.get("Relation Name") == "shops_product"
                ]
    assert len([sql for sql in statements if not sql.startswith("SET")]) == 2  # words, typos
    assert scans and {scan["Node Type"] for scan in scans} <= {"Bitmap Heap Scan", "Index Scan"}
