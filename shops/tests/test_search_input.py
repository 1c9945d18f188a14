"""Search with whatever is typed, at a bounded cost: input with nothing to look for asks the
database nothing, long input is cut, typing mistakes are corrected through the lexicon of
catalogue words (kept current by triggers), and candidates are the best-scored."""

from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money

from shops import selectors
from shops.filters import MAX_QUERY_LENGTH, MAX_QUERY_WORDS, clean_query
from shops.models import Category, Product, SearchWord, UnmetSearch
from shops.selectors import product_search

from .factories import CategoryFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


def titles(result) -> list[str]:
    return [product.title for product in result.page.object_list]


def product_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "shops_product" in q["sql"]]


# Nothing to look for -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "!!!",
        "...",
        "-",
        "?! -- ()",
        '""',
        "%",
        "_",
        "🍞",
        "🥕🥕 😀",
        "❤️",
        "\x00",
        "\x00\x00 !",
        "!" * 10_000,
    ],
)
def test_text_without_letters_or_digits_asks_the_database_nothing_about_products(client, typed):
    ProductFactory(title="Rye sourdough loaf")

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("search"), {"q": typed})

    assert response.status_code == 200
    assert product_queries(captured) == []
    page = response.content.decode()
    assert "Nothing to look for: type a word or a number." in page
    assert "Rye sourdough loaf" not in page
    # Nor is it something people want that nobody sells.
    assert not UnmetSearch.objects.exists()


def test_an_empty_search_is_the_plain_listing_not_an_error():
    ProductFactory(title="Rye sourdough loaf")

    for params in ("", "q=", "q=+++"):
        result = product_search(params=QueryDict(params))
        assert titles(result) == ["Rye sourdough loaf"] and not result.unsearchable


def test_a_nul_inside_a_word_splits_it_and_the_rest_is_searched(client):
    ProductFactory(title="Rye bread")

    response = client.get(reverse("search"), {"q": "bread\x00"})

    assert response.status_code == 200
    assert "Rye bread" in response.content.decode()


def test_long_input_is_cut_to_a_few_words_and_characters():
    assert clean_query("a" * 10_000) == "a" * 40
    assert clean_query("bread " * 5_000) == "bread"
    many = " ".join(f"word{n}" for n in range(5_000))
    assert clean_query(many).split() == [f"word{n}" for n in range(MAX_QUERY_WORDS)]
    assert len(clean_query(" ".join(["x" * 39] * 8))) <= MAX_QUERY_LENGTH
    assert clean_query("  sour\tdough \x00 loaf\n") == "sour dough loaf"


def test_a_10000_character_search_answers_normally(client):
    ProductFactory(title="Rye bread")

    response = client.get(reverse("search"), {"q": "bread " * 1_700})

    assert response.status_code == 200
    assert "Rye bread" in response.content.decode()
    assert len(response.context["result"].query) <= MAX_QUERY_LENGTH


# One search per request ----------------------------------------------------------------------


def test_the_search_page_for_bread_costs_as_many_queries_for_thirty_results_as_for_one(
    client, django_assert_max_num_queries
):
    shop = ShopFactory()
    ProductFactory(shop=shop, title="Bread 0")
    # Another word first: the node's synonyms are cached from then on, and the search page
    # for "bread" is not kept yet (visitors' pages are kept until the catalogue changes).
    client.get(reverse("search"), {"q": "rye"})
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("search"), {"q": "bread"})
    # Read now: the next request empties the connection's query log.
    queries_for_one, product_queries_for_one = len(one), len(product_queries(one))

    for n in range(1, 30):
        ProductFactory(shop=shop, title=f"Bread {n}")  # a change: the kept page is dropped
    client.get(reverse("search"), {"q": "rye"})  # the filters' choices are cached again
    with django_assert_max_num_queries(queries_for_one):
        response = client.get(reverse("search"), {"q": "bread"})

    assert response.content.decode().count('class="card product-card"') == 24
    assert product_queries_for_one <= 4


@pytest.mark.postgres
def test_a_term_nobody_sells_is_searched_once_and_recorded(client):
    ProductFactory(title="Rye sourdough loaf")
    client.get(reverse("search"), {"q": "snowmobile"})

    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("search"), {"q": "snowmobile"})

    full_text = [sql for sql in product_queries(captured) if "@@" in sql]
    # Without filters the page's own search covered every product: the demand signal needs
    # no second search (titles, then the rest, at most two steps each).
    assert len(full_text) <= 4
    assert UnmetSearch.objects.filter(term="snowmobile").count() == 2


def test_with_filters_a_term_sold_elsewhere_is_no_demand_signal(client):
    here, elsewhere = ShopFactory(slug="here"), ShopFactory(slug="elsewhere")
    ProductFactory(shop=here, title="Oat milk")
    ProductFactory(shop=elsewhere, title="Rye sourdough loaf")

    response = client.get(reverse("search"), {"q": "sourdough", "shop": "here"})

    assert "Oat milk" not in response.content.decode()
    assert not response.context["wanted"]
    assert not UnmetSearch.objects.exists()


# Typing mistakes, through the lexicon --------------------------------------------------------


@pytest.mark.postgres
def test_a_typo_is_corrected_through_the_lexicon_without_scanning_titles():
    ProductFactory(title="Rye sourdough loaf")
    ProductFactory(title="City helmet")

    with CaptureQueriesContext(connection) as captured:
        result = product_search(params=QueryDict("q=sourdogh"))

    assert titles(result) == ["Rye sourdough loaf"]
    assert result.corrected == "sourdough" and result.fuzzy
    assert any("shops_searchword" in q["sql"] for q in captured.captured_queries)
    # No likeness of every title: pg_trgm serves the lexicon only.
    for sql in product_queries(captured):
        assert "similarity" not in sql and "%>" not in sql and "<->" not in sql


@pytest.mark.postgres
def test_words_that_exist_but_never_together_find_nothing_and_offer_nothing():
    ProductFactory(title="Rye sourdough loaf")
    ProductFactory(title="City helmet")

    result = product_search(params=QueryDict("q=helmet+sourdough"))

    assert titles(result) == [] and result.suggestion == "" and result.corrected == ""
    assert result.found_nowhere


def counts() -> dict[str, int]:
    return dict(SearchWord.objects.filter(products__gt=0).values_list("word", "products"))


@pytest.mark.postgres
def test_the_lexicon_follows_products_created_renamed_deactivated_and_deleted():
    bread = CategoryFactory(name="Bread", slug="bread")
    loaf = ProductFactory(title="Rye sourdough loaf", category=bread)
    ProductFactory(title="Spelt sourdough")

    assert counts() == {"rye": 1, "sourdough": 2, "loaf": 1, "bread": 1, "spelt": 1}

    loaf.title = "Rye loaf, large"
    loaf.save()
    assert counts() == {"rye": 1, "sourdough": 1, "loaf": 1, "large": 1, "bread": 1, "spelt": 1}

    Product.objects.filter(pk=loaf.pk).update(is_active=False)
    assert counts() == {"sourdough": 1, "spelt": 1}

    Product.objects.filter(title="Spelt sourdough").delete()
    assert counts() == {}


@pytest.mark.postgres
def test_the_lexicon_counts_a_bulk_insert_and_a_renamed_category():
    shop = ShopFactory()
    tools = CategoryFactory(name="Tools", slug="tools")
    Product.objects.bulk_create(
        [
            Product(
                shop=shop,
                title=f"Claw hammer {n}",
                slug=f"hammer-{n}",
                sku=f"H{n}",
                price=Money(Decimal("9"), "EUR"),
                category=tools,
            )  # fmt: skip
            for n in range(50)
        ]
    )
    assert counts() == {"claw": 50, "hammer": 50, "tools": 50}

    Category.objects.filter(pk=tools.pk).update(name="Hardware")
    assert counts() == {"claw": 50, "hammer": 50, "hardware": 50}


@pytest.mark.postgres
def test_stock_changes_leave_the_lexicon_alone():
    product = ProductFactory(title="Rye sourdough loaf")
    before = list(SearchWord.objects.order_by("word").values_list("word", "products"))

    Product.objects.filter(pk=product.pk).update(stock_quantity=Decimal("3"))

    assert list(SearchWord.objects.order_by("word").values_list("word", "products")) == before


def test_a_typo_in_a_new_products_word_is_corrected_at_once():
    ProductFactory(title="Rye sourdough loaf")
    assert titles(product_search(params=QueryDict("q=wheelbarow"))) == []

    ProductFactory(title="Garden wheelbarrow")

    assert titles(product_search(params=QueryDict("q=wheelbarow"))) == ["Garden wheelbarrow"]


# Candidates ------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("walk_factor", [1, 10])
def test_when_many_match_the_candidates_are_those_that_can_be_bought_now(
    settings, monkeypatch, walk_factor
):
    # walk_factor 1: the best-scored few hold too few matches, so every match is sorted.
    monkeypatch.setattr(selectors, "WALK_FACTOR", walk_factor)
    settings.SEARCH_MAX_CANDIDATES = 3
    for n in range(4):
        ProductFactory(title=f"Apple juice {n}", stock_quantity=Decimal("0"))
    ProductFactory(title="Apple cider", stock_quantity=Decimal("5"))
    ProductFactory(title="Apple vinegar", always_available=True, stock_quantity=Decimal("0"))
    for n in range(4):
        ProductFactory(title=f"Pear {n}", stock_quantity=Decimal("5"))

    result = product_search(params=QueryDict("q=apple"))

    assert result.truncated
    assert {"Apple cider", "Apple vinegar"} <= set(titles(result))
    assert len(titles(result)) == 3


@pytest.mark.postgres
def test_products_named_after_the_word_are_kept_when_the_best_scored_lack_them(
    settings, monkeypatch
):
    monkeypatch.setattr(selectors, "WALK_FACTOR", 1)
    settings.SEARCH_MAX_CANDIDATES = 3
    ProductFactory(title="Organic honey", stock_quantity=Decimal("0"))
    ProductFactory(title="Organic oats", stock_quantity=Decimal("0"))
    for n in range(5):
        ProductFactory(title=f"Apple juice {n}", description="Certified organic.")

    result = product_search(params=QueryDict("q=organic"))

    assert result.truncated
    assert titles(result)[:2] == ["Organic honey", "Organic oats"]
    assert len(titles(result)) == 3
