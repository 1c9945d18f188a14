"""Search across all shops: text ranking (Postgres), typo tolerance, categories, synonyms,
"Did you mean …?" and filters (both)."""

import re
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.urls import reverse
from djmoney.money import Money

from marketplace.models import Postcode
from shops.lists.matching import LineToMatch, match_lines
from shops.models import Category, Shop, Synonym, UnmetSearch
from shops.selectors import product_search

from .factories import CategoryFactory, LabelFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


def search(query: str):
    result = product_search(params=QueryDict(query))
    assert result.is_valid, result.errors
    return result


def titles(result) -> list[str]:
    return [product.title for product in result.page.object_list]


@pytest.mark.postgres
def test_title_matches_rank_above_description_matches():
    ProductFactory(title="Linen shirt", description="Goes well with a sourdough sandwich")
    ProductFactory(title="Rye sourdough loaf", description="Baked this morning")
    ProductFactory(title="Oat milk", description="Barista quality")
    assert titles(search("q=sourdough")) == ["Rye sourdough loaf", "Linen shirt"]


@pytest.mark.postgres
def test_words_are_stemmed_and_all_words_must_match():
    ProductFactory(title="Cherry tomatoes")
    ProductFactory(title="Tomato seeds packet")
    ProductFactory(title="Cherry jam")
    assert set(titles(search("q=tomato"))) == {"Cherry tomatoes", "Tomato seeds packet"}
    assert titles(search("q=cherry+tomato")) == ["Cherry tomatoes"]


@pytest.mark.postgres
def test_misspelt_words_find_the_product_and_say_so():
    ProductFactory(title="Rye sourdough loaf")
    ProductFactory(title="City helmet")
    result = search("q=sourdogh")
    assert titles(result) == ["Rye sourdough loaf"]
    assert result.fuzzy
    assert titles(search("q=helmett")) == ["City helmet"]


@pytest.mark.postgres
def test_the_category_name_is_searchable():
    cheese = CategoryFactory(name="Cheese", slug="cheese")
    ProductFactory(title="Alpine wheel, aged", category=cheese)
    assert titles(search("q=cheese")) == ["Alpine wheel, aged"]


@pytest.mark.postgres
def test_a_frequent_word_ranks_only_a_bounded_set_of_candidates(settings):
    settings.SEARCH_MAX_CANDIDATES = 5
    for n in range(8):
        ProductFactory(title=f"Organic apple {n}")
    result = search("q=organic")
    assert result.truncated
    assert result.page.paginator.count == 5


def test_nothing_found_for_text_no_shop_sells():
    ProductFactory(title="Rye sourdough loaf")
    assert titles(search("q=snowmobile")) == []


def test_inactive_products_and_shops_that_are_not_active_are_never_found():
    ProductFactory(title="Visible bread")
    ProductFactory(title="Hidden bread", is_active=False)
    ProductFactory(title="Applying bread", shop=ShopFactory(status=Shop.Status.APPLIED))
    ProductFactory(title="Suspended bread", shop=ShopFactory(status=Shop.Status.SUSPENDED))
    assert titles(search("q=bread")) == ["Visible bread"]
    assert titles(search("")) == ["Visible bread"]


def test_category_filter_includes_subcategories():
    food = CategoryFactory(slug="food", name="Food")
    dairy = Category.objects.create(parent=food, slug="dairy", name="Dairy")
    tools = CategoryFactory(slug="tools", name="Tools")
    ProductFactory(title="Milk", category=dairy)
    ProductFactory(title="Bread", category=food)
    ProductFactory(title="Hammer", category=tools)
    assert titles(search("category=food")) == ["Bread", "Milk"]
    assert titles(search("category=food/dairy")) == ["Milk"]


def test_shop_price_label_and_stock_filters_combine():
    shop = ShopFactory(slug="corner-shop")
    organic = LabelFactory(slug="organic")
    vegan = LabelFactory(slug="vegan")
    cheap = ProductFactory(shop=shop, title="Cheap", price=Money("1.00", "EUR"))
    both = ProductFactory(shop=shop, title="Both labels", price=Money("5.00", "EUR"))
    both.labels.set([organic, vegan])
    one = ProductFactory(shop=shop, title="One label", price=Money("6.00", "EUR"))
    one.labels.set([organic])
    ProductFactory(shop=shop, title="Sold out", price=Money("5.00", "EUR"), stock_quantity=0)
    ProductFactory(title="Elsewhere", price=Money("5.00", "EUR"))
    assert cheap
    assert titles(search("shop=corner-shop&price_min=2&price_max=5.5")) == [
        "Both labels",
        "Sold out",
    ]
    assert titles(search("shop=corner-shop&price_min=2&price_max=5.5&in_stock=true")) == [
        "Both labels"
    ]
    assert titles(search("label=organic&label=vegan")) == ["Both labels"]
    assert titles(search("label=organic&sort=-price")) == ["One label", "Both labels"]


def test_within_a_distance_of_a_postcode_or_a_position_sorted_by_distance():
    Postcode.objects.create(code="10117", name="Centre", latitude=52.5163, longitude=13.3777)
    near = ShopFactory(latitude=52.5170, longitude=13.3790)  # ~110 m
    middle = ShopFactory(latitude=52.5300, longitude=13.3777)  # ~1.5 km
    far = ShopFactory(latitude=52.6000, longitude=13.3777)  # ~9.3 km
    ProductFactory(shop=far, title="Far bread")
    ProductFactory(shop=middle, title="Middle bread")
    ProductFactory(shop=near, title="Near bread")
    assert titles(search("postcode=10117&radius_km=2&sort=distance")) == [
        "Near bread",
        "Middle bread",
    ]
    nearest_first = search("lat=52.6&lon=13.3777&sort=distance")
    assert titles(nearest_first) == ["Far bread", "Middle bread", "Near bread"]
    distances = [p.distance_km for p in nearest_first.page.object_list]
    assert distances[0] < 0.01 and 9.0 < distances[2] < 9.6


@pytest.mark.parametrize(
    "query, field",
    [
        ("price_min=abc", "price_min"),
        ("price_min=-3", "price_min"),
        ("price_min=9&price_max=2", "price_max"),
        ("category=no-such-category", "category"),
        ("shop=no-such-shop", "shop"),
        ("label=nonsense", "label"),
        ("radius_km=5", "postcode"),
        ("postcode=99999&radius_km=5", "postcode"),
        ("radius_km=-1&postcode=10117", "radius_km"),
        ("lat=123&lon=13", "lat"),
        ("sort=distance", "sort"),
        ("sort=popularity", "sort"),
    ],
)
def test_invalid_filter_values_are_form_errors_naming_the_field(query, field):
    Postcode.objects.create(code="10117", name="Centre", latitude=52.5163, longitude=13.3777)
    result = product_search(params=QueryDict(query))
    assert not result.is_valid
    assert field in result.errors


def test_results_are_paginated_by_24():
    for n in range(30):
        ProductFactory(title=f"Loaf {n:02d}", price=Money(Decimal("3"), "EUR"))
    first = search("q=loaf")
    assert len(first.page.object_list) == 24
    assert first.page.paginator.num_pages == 2
    second = product_search(params=QueryDict("q=loaf"), page_number=2)
    assert len(second.page.object_list) == 6


@pytest.mark.postgres
def test_when_candidates_are_bounded_products_named_after_the_word_are_kept(settings):
    settings.SEARCH_MAX_CANDIDATES = 3
    for n in range(5):
        ProductFactory(title=f"Apple juice {n}", description="Certified organic.")
    ProductFactory(title="Organic honey", description="From rooftop hives")
    ProductFactory(title="Organic oats", description="Rolled")
    result = search("q=organic")
    assert result.truncated
    assert titles(result)[:2] == ["Organic honey", "Organic oats"]
    assert len(titles(result)) == 3


# Forgiving search, on SQLite and on Postgres alike ------------------------------------------


def test_a_misspelt_word_finds_the_product_on_either_database():
    ProductFactory(title="Rye sourdough loaf")
    ProductFactory(title="City helmet")

    result = search("q=sourdogh")

    assert titles(result) == ["Rye sourdough loaf"]
    assert result.fuzzy
    assert titles(search("q=helmett")) == ["City helmet"]


def test_a_category_name_finds_its_products_on_either_database():
    bread = CategoryFactory(name="Bread and pastries", slug="bread")
    ProductFactory(title="Rye sourdough loaf", category=bread)
    ProductFactory(title="Spelt rolls, 6 pieces", category=bread)
    ProductFactory(title="Oat milk")

    assert set(titles(search("q=bread"))) == {"Rye sourdough loaf", "Spelt rolls, 6 pieces"}


def test_the_nodes_synonyms_find_what_shops_call_things_in_search():
    Synonym.objects.create(term="spuds", alternatives="potatoes")
    ProductFactory(title="Waxy potatoes")
    ProductFactory(title="Oat milk")

    assert titles(search("q=spuds")) == ["Waxy potatoes"]


def test_an_empty_page_asks_did_you_mean_with_a_spelling_that_finds_something(client):
    ProductFactory(title="Rye sourdough loaf")

    result = search("q=surdoh")

    assert titles(result) == [] and result.suggestion == "sourdough"
    response = client.get(reverse("search"), {"q": "surdoh"})
    html = response.content.decode()
    link = re.search(r'Did you mean <a href="([^"]+)">sourdough</a>\?', html)
    assert link, html
    followed = client.get(link.group(1).replace("&amp;", "&"))
    assert "Rye sourdough loaf" in followed.content.decode()


def test_no_suggestion_when_nothing_in_the_catalogue_is_spelled_alike():
    ProductFactory(title="Rye sourdough loaf")

    result = search("q=snowmobile")

    assert titles(result) == [] and result.suggestion == "" and result.corrected == ""


def test_a_typo_is_no_demand_signal_but_a_term_nobody_sells_is(client):
    ProductFactory(title="Rye sourdough loaf")

    for typed in ("sourdogh", "surdoh", "snowmobile"):
        client.get(reverse("search"), {"q": typed})

    assert list(UnmetSearch.objects.values_list("term", flat=True)) == ["snowmobile"]


def test_a_shopping_list_line_with_a_typo_finds_the_product_and_is_no_demand_signal():
    from marketplace.tests.factories import UserFactory
    from shops.lists import services as list_services

    ProductFactory(title="Rye sourdough loaf")

    shopping_list = list_services.shopping_list_create(
        owner=UserFactory(), text="sourdogh\nunicorn glitter"
    )

    matches = match_lines(
        [LineToMatch(line.pk, line.text, line.query, None) for line in shopping_list.lines.all()]
    )
    assert [o.product.title for o in matches[0].offers] == ["Rye sourdough loaf"]
    assert matches[1].found_nowhere
    assert list(UnmetSearch.objects.values_list("term", flat=True)) == ["unicorn glitter"]


def test_words_of_products_added_later_are_known_to_the_spelling_at_once():
    ProductFactory(title="Rye sourdough loaf")
    assert titles(search("q=helmett")) == []

    ProductFactory(title="City helmet")

    assert titles(search("q=helmett")) == ["City helmet"]


def test_the_search_page_shows_one_search_box(client):
    ProductFactory(title="Rye sourdough loaf")

    search_page = client.get(reverse("search"), {"q": "rye"}).content.decode()
    shops_page = client.get(reverse("shops:shop_list")).content.decode()

    assert search_page.count('type="search"') == 1
    assert shops_page.count('type="search"') == 1
