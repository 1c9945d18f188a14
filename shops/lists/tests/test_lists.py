"""Shopping lists: writing, bad input, demand signals, whose list is whose, the trip and
its delivery, and the cart."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from logistics.models import Collective
from marketplace.geo import Point
from marketplace.models import Postcode
from marketplace.tests.factories import UserFactory
from orders.models import CartLine
from orders.tests.factories import open_every_day
from shops.lists import services
from shops.lists.selectors import (
    SESSION_KEY,
    shopping_list_page,
    shopping_list_trip,
)
from shops.models import OpeningHours, ShoppingList, ShoppingListLine, Synonym, UnmetSearch
from shops.tests.factories import ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db
CENTRE = settings.NODE_CENTRE


def offset(north_m: float, east_m: float) -> tuple[float, float]:
    return CENTRE[0] + north_m / 111_320, CENTRE[1] + east_m / 68_000


@pytest.fixture
def town(db):
    """A grocer, a bakery and a bike shop, open all week; the grocer and bakery deliver."""
    collective = Collective.objects.create(
        name="Riders",
        slug="riders",
        delivery_base_fee=Money("3.00", "EUR"),
        delivery_fee_per_km=Money("1.00", "EUR"),
    )
    lat, lon = offset(300, 0)
    grocer = open_every_day(
        ShopFactory(
            name="Grocer",
            latitude=lat,
            longitude=lon,
            offers_delivery=True,
            delivery_collective=collective,
            delivery_radius_km=Decimal("4"),
        )
    )
    lat, lon = offset(-300, 0)
    bakery = open_every_day(
        ShopFactory(
            name="Bakery",
            latitude=lat,
            longitude=lon,
            offers_delivery=True,
            delivery_collective=collective,
            delivery_radius_km=Decimal("4"),
        )
    )
    lat, lon = offset(0, 500)
    bikes = open_every_day(ShopFactory(name="Bikes", latitude=lat, longitude=lon))
    products = {
        "potatoes": ProductFactory(
            shop=grocer, title="Waxy potatoes", unit="kg", price=Money("2.00", "EUR")
        ),
        "oat milk": ProductFactory(
            shop=grocer, title="Barista oat milk", unit="litre", price=Money("1.90", "EUR")
        ),
        "bread": ProductFactory(shop=bakery, title="Rye sourdough loaf 750 g"),
        "tube": ProductFactory(
            shop=bikes, title="Presta inner tube 28 inch", price=Money("7.00", "EUR")
        ),
    }
    Postcode.objects.create(code="10117", latitude=CENTRE[0], longitude=CENTRE[1])
    return {"grocer": grocer, "bakery": bakery, "bikes": bikes, **products}


def make_list(user, text="2 kg potatoes\n3 x oat milk\nsourdough loaf\ninner tube 28 inch"):
    return services.shopping_list_create(owner=user, text=text)


def start_at_centre(shopping_list):
    return services.shopping_list_set_start(shopping_list=shopping_list, place="10117")


# Writing a list ----------------------------------------------------------------------------


def test_a_written_list_is_saved_line_by_line_with_amounts_understood(town):
    user = UserFactory()

    shopping_list = make_list(user)

    lines = list(shopping_list.lines.order_by("position"))
    assert [line.text for line in lines] == [
        "2 kg potatoes",
        "3 x oat milk",
        "sourdough loaf",
        "inner tube 28 inch",
    ]
    assert (lines[0].query, lines[0].amount, lines[0].measure) == ("potatoes", 2, "kg")
    assert (lines[1].query, lines[1].amount, lines[1].measure) == ("oat milk", 3, "piece")
    assert lines[3].query == "inner tube 28 inch" and lines[3].amount is None
    assert shopping_list.owner == user


def test_each_line_shows_its_best_offer_with_shop_price_and_distance(town):
    shopping_list = start_at_centre(make_list(UserFactory()))

    page = shopping_list_page(shopping_list=shopping_list)

    potatoes = page.lines[0].chosen
    assert potatoes.product == town["potatoes"]
    assert potatoes.quantity == 2 and potatoes.total == Money("4.00", "EUR")
    assert potatoes.distance_km == pytest.approx(0.3, abs=0.02)
    assert potatoes.shop.opening.is_open
    assert page.lines[1].chosen.quantity == 3  # litres of oat milk
    # 2 kg potatoes 4.00, 3 litres of oat milk 5.70, a loaf 4.50, an inner tube 7.00.
    assert page.total == Money("21.20", "EUR")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write at least one thing you need"),
        ("   \n\n  ", "Write at least one thing you need"),
        ("\n".join(f"thing {n}" for n in range(500)), "at most 100 lines; this one has 500"),
        ("oat milk\n%$§\n!!!", "We cannot tell what to look for in line 2 (“%$§”), line 3"),
        ("x" * 300, "longer than 200 characters"),
    ],
)
def test_bad_lists_get_a_clear_message_and_nothing_is_saved(client, town, text, message):
    client.force_login(UserFactory())

    response = client.post(reverse("shopping_list:index"), {"text": text})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ShoppingList.objects.exists()


def test_a_position_outside_the_towns_area_is_refused_with_a_message(client, town):
    user = UserFactory()
    shopping_list = make_list(user)
    client.force_login(user)
    url = reverse("shopping_list:trip", kwargs={"list_id": shopping_list.pk})

    far = client.post(url, {"lat": "48.137", "lon": "11.575", "round_trip": "on"})
    unknown = client.post(url, {"place": "99999 Nowhere"})
    nothing = client.post(url, {"place": ""})

    assert far.status_code == 400
    assert "outside" in far.content.decode() and "area" in far.content.decode()
    assert unknown.status_code == 400 and "could not find" in unknown.content.decode()
    assert nothing.status_code == 400 and "Use your position" in nothing.content.decode()
    shopping_list.refresh_from_db()
    assert shopping_list.start is None


def test_a_postcode_or_a_browser_position_sets_the_start(client, town):
    user = UserFactory()
    shopping_list = make_list(user)
    client.force_login(user)
    url = reverse("shopping_list:trip", kwargs={"list_id": shopping_list.pk})

    response = client.post(url, {"place": "10117", "round_trip": "on"})

    assert response.status_code == 302
    shopping_list.refresh_from_db()
    assert shopping_list.start == Point(*CENTRE) and shopping_list.round_trip
    client.post(url, {"lat": "52.5170", "lon": "13.3790"})
    shopping_list.refresh_from_db()
    assert shopping_list.start == Point(52.517, 13.379) and not shopping_list.round_trip


def test_a_typed_address_is_found_through_the_geocoder(client, town, settings, monkeypatch):
    from marketplace import geocoding
    from marketplace.tests.test_geocoding import FakeNominatimHTTP

    settings.GEOCODER_URL = "https://geocoder.example/nominatim"
    monkeypatch.setattr(geocoding, "ADAPTER_FACTORY", FakeNominatimHTTP)
    user = UserFactory()
    shopping_list = make_list(user)
    client.force_login(user)

    client.post(
        reverse("shopping_list:trip", kwargs={"list_id": shopping_list.pk}),
        {"place": "Market Street 20, 10117", "round_trip": "on"},
    )

    shopping_list.refresh_from_db()
    assert shopping_list.start == Point(52.517, 13.379)
    assert shopping_list.start_label == "Market Street 20, 10117"


def test_the_nodes_synonyms_find_what_shops_call_things(town):
    Synonym.objects.create(term="Spuds", alternatives="potatoes, new potatoes")
    shopping_list = make_list(UserFactory(), "2 kg spuds")

    (line,) = shopping_list_page(shopping_list=shopping_list).lines

    assert line.chosen.product == town["potatoes"] and line.chosen.quantity == 2


def test_operators_edit_synonyms_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:shops_synonym_add"), {"term": "oat drink", "alternatives": "oat milk"}
    )
    assert response.status_code == 302
    assert Synonym.objects.get().term == "oat drink"
    assert admin_client.get(reverse("admin:shops_synonym_changelist")).status_code == 200


def test_lines_are_added_ticked_off_picked_and_removed_on_the_list_page(client, town):
    user = UserFactory()
    shopping_list = make_list(user, "2 kg potatoes")
    client.force_login(user)
    url = shopping_list.get_absolute_url()

    client.post(url, {"action": "add", "text": "oat milk"})
    milk = shopping_list.lines.get(query="oat milk")
    client.post(url, {"action": "line", "line": milk.pk, "done": "1"})
    potatoes = shopping_list.lines.get(query="potatoes")
    client.post(url, {"action": "line", "line": potatoes.pk, "product": town["potatoes"].pk})
    bad = client.post(url, {"action": "add", "text": "@@@"}, HTTP_HX_REQUEST="true")

    milk.refresh_from_db()
    potatoes.refresh_from_db()
    assert milk.done and potatoes.chosen_product == town["potatoes"]
    # htmx swaps the list's fragment, message included, in place.
    assert bad.status_code == 200 and "cannot tell what to look for" in bad.content.decode()
    assert "<html" not in bad.content.decode()
    gone = client.post(url, {"action": "line", "line": milk.pk, "product": "999999"})
    assert gone.status_code == 400 and "no longer available" in gone.content.decode()
    client.post(url, {"action": "remove", "line": milk.pk})
    assert list(shopping_list.lines.values_list("query", flat=True)) == ["potatoes"]


def test_rewriting_a_list_keeps_ticks_of_unchanged_lines(town):
    shopping_list = make_list(UserFactory(), "2 kg potatoes\noat milk")
    shopping_list.lines.filter(query="potatoes").update(done=True)

    services.shopping_list_rewrite(
        shopping_list=shopping_list, text="oat milk\n2 kg potatoes\nbread"
    )

    lines = {line.text: line for line in shopping_list.lines.all()}
    assert set(lines) == {"oat milk", "2 kg potatoes", "bread"}
    assert lines["2 kg potatoes"].done and lines["2 kg potatoes"].position == 1


def test_the_whole_list_is_edited_as_text_and_a_bad_edit_changes_nothing(client, town):
    user = UserFactory()
    shopping_list = make_list(user, "2 kg potatoes\noat milk")
    client.force_login(user)
    url = reverse("shopping_list:edit", kwargs={"list_id": shopping_list.pk})

    page = client.get(url).content.decode()
    refused = client.post(url, {"name": "Week", "text": "oat milk\n???"})
    saved = client.post(url, {"name": "Week", "text": "oat milk\nbread"})

    assert "2 kg potatoes\noat milk" in page
    assert refused.status_code == 400 and "cannot tell what to look for" in refused.content.decode()
    assert saved.status_code == 302
    shopping_list.refresh_from_db()
    assert shopping_list.name == "Week"
    assert list(shopping_list.lines.values_list("text", flat=True)) == ["oat milk", "bread"]


def test_using_a_list_again_gives_a_fresh_copy_with_nothing_ticked(client, town):
    user = UserFactory()
    shopping_list = make_list(user)
    shopping_list.lines.update(done=True)
    client.force_login(user)

    response = client.post(reverse("shopping_list:again", kwargs={"list_id": shopping_list.pk}))

    copy = ShoppingList.objects.exclude(pk=shopping_list.pk).get()
    assert response.url == copy.get_absolute_url()
    assert copy.owner == user and copy.lines.count() == 4
    assert not copy.lines.filter(done=True).exists()


# Demand signals ----------------------------------------------------------------------------


def test_lines_nobody_sells_are_recorded_for_the_shops_without_who_asked(town):
    user = UserFactory()
    shopping_list = start_at_centre(make_list(user, "2 kg potatoes"))

    services.shopping_list_add_line(shopping_list=shopping_list, text="3 jars unicorn glitter")
    services.shopping_list_rewrite(
        shopping_list=shopping_list,
        text="2 kg potatoes\n3 jars unicorn glitter\nmoon cheese",
    )

    signals = list(UnmetSearch.objects.order_by("term").values("term", "area"))
    assert signals == [
        {"term": "moon cheese", "area": f"{CENTRE[0]:.2f},{CENTRE[1]:.2f}"},
        {"term": "unicorn glitter", "area": f"{CENTRE[0]:.2f},{CENTRE[1]:.2f}"},
    ]
    # The same line added again to the same list is not counted again.
    services.shopping_list_add_line(shopping_list=shopping_list, text="moon cheese")
    assert UnmetSearch.objects.filter(term="moon cheese").count() == 1
    # A search record holds a term, a time and a rough area: nothing to tell who.
    fields = {f.name for f in UnmetSearch._meta.get_fields()}
    assert fields == {"id", "term", "created_at", "area"}


def test_a_list_written_by_a_visitor_records_demand_with_no_area(client, town):
    client.post(reverse("shopping_list:index"), {"text": "unicorn glitter\noat milk"})

    assert list(UnmetSearch.objects.values_list("term", "area")) == [("unicorn glitter", "")]


# Whose list is whose -----------------------------------------------------------------------


LIST_URLS = [
    ("get", "shopping_list:detail"),
    ("post", "shopping_list:detail"),
    ("get", "shopping_list:edit"),
    ("post", "shopping_list:edit"),
    ("get", "shopping_list:trip"),
    ("post", "shopping_list:trip"),
    ("post", "shopping_list:to_cart"),
    ("post", "shopping_list:again"),
    ("post", "shopping_list:delete"),
]


@pytest.mark.parametrize(("method", "name"), LIST_URLS)
@pytest.mark.parametrize("who", ["another customer", "a visitor", "a visitor with own lists"])
def test_someone_elses_list_is_not_found_at_any_url(client, town, method, name, who):
    owner = UserFactory()
    shopping_list = make_list(owner)
    line = shopping_list.lines.first()
    if who == "another customer":
        client.force_login(UserFactory())
    elif who == "a visitor with own lists":
        client.post(reverse("shopping_list:index"), {"text": "oat milk"})
    url = reverse(name, kwargs={"list_id": shopping_list.pk})
    data = {"action": "line", "line": line.pk, "done": "1", "text": "bread", "place": "10117"}

    response = getattr(client, method)(url, data)

    assert response.status_code == 404
    line.refresh_from_db()
    assert not line.done and ShoppingList.objects.filter(pk=shopping_list.pk).exists()
    assert not CartLine.objects.exists()


def test_a_line_of_another_list_is_not_found_on_ones_own_list(client, town):
    user = UserFactory()
    mine = make_list(user, "oat milk")
    theirs = make_list(UserFactory(), "bread")
    client.force_login(user)

    response = client.post(
        mine.get_absolute_url(), {"action": "line", "line": theirs.lines.get().pk, "done": "1"}
    )

    assert response.status_code == 404
    assert not theirs.lines.get().done


def test_a_visitors_lists_are_kept_in_the_session_and_join_the_account_at_login(client, town):
    client.post(reverse("shopping_list:index"), {"text": "oat milk", "name": "Before login"})
    shopping_list = ShoppingList.objects.get()
    assert shopping_list.owner is None and client.session[SESSION_KEY]
    assert client.get(shopping_list.get_absolute_url()).status_code == 200

    user = UserFactory()
    client.post(reverse("account_login"), {"login": user.email, "password": "a-long-test-password"})

    shopping_list.refresh_from_db()
    assert shopping_list.owner == user and shopping_list.visitor_key == ""
    assert "Before login" in client.get(reverse("shopping_list:index")).content.decode()


# The trip, delivery and the cart -----------------------------------------------------------


def test_the_trip_visits_the_shops_that_have_the_list_in_the_shortest_order(town):
    shopping_list = start_at_centre(make_list(UserFactory()))

    trip = shopping_list_trip(shopping_list=shopping_list)

    assert {stop.shop.name for stop in trip.stops} == {"Grocer", "Bakery", "Bikes"}
    # A round trip of three shops 300 m north, 300 m south and 500 m east of the start.
    assert trip.trip.round_trip and trip.trip.exact
    assert 1.7 < trip.distance_km < 2.0
    bought = {item.line.text: offer.product for stop in trip.stops for item, offer in stop.items}
    assert bought["2 kg potatoes"] == town["potatoes"]
    assert trip.walking_minutes > trip.cycling_minutes > 0


def test_shops_closed_now_are_left_out_of_the_trip_and_named(town):
    OpeningHours.objects.filter(shop=town["bikes"]).delete()
    OpeningHours.objects.create(
        shop=town["bikes"], weekday=0, opens=datetime.time(10), closes=datetime.time(11)
    )
    shopping_list = start_at_centre(make_list(UserFactory()))
    sunday_noon = timezone.make_aware(datetime.datetime(2026, 11, 22, 12, 0))

    trip = shopping_list_trip(shopping_list=shopping_list, moment=sunday_noon)

    assert "Bikes" not in {stop.shop.name for stop in trip.stops}
    ((item, shops),) = trip.closed_only
    assert item.line.text == "inner tube 28 inch" and shops == [town["bikes"]]
    assert not shops[0].opening.is_open


def test_a_shop_closing_before_one_would_walk_there_is_left_out_and_said_why(town):
    OpeningHours.objects.filter(shop=town["bikes"]).delete()
    OpeningHours.objects.create(
        shop=town["bikes"], weekday=6, opens=datetime.time(9), closes=datetime.time(12, 5)
    )
    shopping_list = start_at_centre(make_list(UserFactory(), "inner tube 28 inch"))
    sunday_noon = timezone.make_aware(datetime.datetime(2026, 11, 22, 12, 0))

    trip = shopping_list_trip(shopping_list=shopping_list, moment=sunday_noon)

    # 500 m as the crow flies, 650 m on the street at 4.5 km/h: there at 12:09, shut by then.
    assert trip.stops == []
    ((item, shops),) = trip.closed_only
    assert item.line.text == "inner tube 28 inch" and shops == [town["bikes"]]
    assert trip.closing_before_arrival == {town["bikes"].pk}


# Planning ahead ----------------------------------------------------------------------------

WEDNESDAY_NIGHT = timezone.make_aware(datetime.datetime(2026, 11, 25, 22, 0))
SATURDAY_TEN = timezone.make_aware(datetime.datetime(2026, 11, 28, 10, 0))


def weekdays_only(shop, opens=datetime.time(8), closes=datetime.time(18)):
    OpeningHours.objects.filter(shop=shop).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(shop=shop, weekday=day, opens=opens, closes=closes) for day in range(5)
    )


def saturday_only(shop, opens=datetime.time(9), closes=datetime.time(14)):
    OpeningHours.objects.filter(shop=shop).delete()
    OpeningHours.objects.create(shop=shop, weekday=5, opens=opens, closes=closes)


def plan_saturday_on_wednesday_night(town, text="2 kg potatoes\nsourdough loaf\ninner tube"):
    shopping_list = make_list(UserFactory(), text)
    services.shopping_list_set_start(
        shopping_list=shopping_list, place="10117", sets_off_at=SATURDAY_TEN, now=WEDNESDAY_NIGHT
    )
    return shopping_list_trip(shopping_list=shopping_list, moment=WEDNESDAY_NIGHT)


def test_saturdays_trip_planned_on_wednesday_night_uses_saturdays_hours(town):
    # Only the grocer is open on Wednesday night; on Saturday the bike shop opens too,
    # and the bakery stays closed.
    saturday_only(town["bikes"])
    weekdays_only(town["bakery"])

    trip = plan_saturday_on_wednesday_night(town)

    assert trip.departure == SATURDAY_TEN and not trip.departs_now
    assert {stop.shop.name for stop in trip.stops} == {"Grocer", "Bikes"}
    assert all(stop.arrival.date() == SATURDAY_TEN.date() for stop in trip.stops)
    # The bread is only at the bakery: the line says where, and when it opens next.
    ((item, shops),) = trip.closed_only
    assert item.line.text == "sourdough loaf" and shops == [town["bakery"]]
    assert shops[0].opening.next_opening == timezone.make_aware(
        datetime.datetime(2026, 11, 30, 8, 0)
    )


def test_a_holiday_on_the_chosen_day_keeps_the_shop_off_the_trip(town):
    town["bakery"].closures.create(
        first_day=datetime.date(2026, 11, 27), last_day=datetime.date(2026, 11, 29)
    )

    trip = plan_saturday_on_wednesday_night(town)

    assert "Bakery" not in {stop.shop.name for stop in trip.stops}
    assert [item.line.text for item, _shops in trip.closed_only] == ["sourdough loaf"]


def test_a_shop_opening_just_before_one_gets_there_is_on_the_trip(town):
    # 500 m from the start: there at about 10:09.
    saturday_only(town["bikes"], opens=datetime.time(10, 5))

    trip = plan_saturday_on_wednesday_night(town, "inner tube")

    (stop,) = trip.stops
    assert stop.shop == town["bikes"] and stop.arrival.time() >= datetime.time(10, 5)
    saturday_only(town["bikes"], opens=datetime.time(10, 30))
    assert plan_saturday_on_wednesday_night(town, "inner tube").stops == []


def test_a_shop_closing_soon_after_one_arrives_is_on_the_trip_with_a_warning(town):
    saturday_only(town["bikes"], closes=datetime.time(10, 30))

    trip = plan_saturday_on_wednesday_night(town, "inner tube")

    (stop,) = trip.stops
    assert stop.shop == town["bikes"] and stop.closes_soon
    assert stop.closes_at == datetime.time(10, 30)
    assert stop.arrival == SATURDAY_TEN + datetime.timedelta(minutes=stop.arrive_after_minutes)
    relaxed = plan_saturday_on_wednesday_night(town, "2 kg potatoes")
    assert not relaxed.stops[0].closes_soon


def test_the_trip_page_states_when_one_sets_off_and_warns_of_closing_shops(client, town):
    saturday_only(town["bikes"], closes=datetime.time(10, 30))
    user = UserFactory()
    shopping_list = start_at_centre(make_list(user, "inner tube"))
    client.force_login(user)
    day = _next_saturday()
    url = reverse("shopping_list:trip", kwargs={"list_id": shopping_list.pk})

    response = client.post(
        url,
        {"place": "10117", "round_trip": "on", "when": "later", "day": day, "time": "10:00"},
        follow=True,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f"Setting off Saturday {day.day} {day:%b} at 10:00" in html
    assert "Closes at 10:30, soon after you arrive" in html
    shopping_list.refresh_from_db()
    assert timezone.localtime(shopping_list.sets_off_at).time() == datetime.time(10)


def _next_saturday() -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=(5 - today.weekday()) % 7 or 7)


@pytest.mark.parametrize(
    ("days", "clock", "field_message"),
    [
        (0, -60, "has passed. Choose a later time, or set off now."),
        (-1, 0, "has passed. Choose a later time, or set off now."),
        (15, 0, "Trips can be planned up to 14 days ahead"),
    ],
)
def test_a_time_in_the_past_or_too_far_ahead_gets_a_message_and_changes_nothing(
    client, town, days, clock, field_message
):
    user = UserFactory()
    shopping_list = start_at_centre(make_list(user))
    client.force_login(user)
    moment = timezone.localtime() + datetime.timedelta(days=days, minutes=clock)
    url = reverse("shopping_list:trip", kwargs={"list_id": shopping_list.pk})

    response = client.post(
        url,
        {
            "place": "Somewhere else",
            "when": "later",
            "day": moment.date().isoformat(),
            "time": moment.strftime("%H:%M"),
        },
    )

    assert response.status_code == 400
    assert field_message in response.content.decode()
    shopping_list.refresh_from_db()
    assert shopping_list.sets_off_at is None
    assert shopping_list.start_label == "10117" and shopping_list.round_trip


def test_later_without_a_day_and_time_asks_for_them(client, town):
    user = UserFactory()
    shopping_list = start_at_centre(make_list(user))
    client.force_login(user)
    url = reverse("shopping_list:trip", kwargs={"list_id": shopping_list.pk})

    response = client.post(url, {"place": "10117", "when": "later", "day": "", "time": ""})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose the day you set off." in html and "Choose the time you set off." in html


def test_a_chosen_time_that_has_passed_plans_for_now_and_says_so(town):
    shopping_list = make_list(UserFactory(), "inner tube")
    services.shopping_list_set_start(
        shopping_list=shopping_list, place="10117", sets_off_at=SATURDAY_TEN, now=WEDNESDAY_NIGHT
    )
    sunday = SATURDAY_TEN + datetime.timedelta(days=1)

    trip = shopping_list_trip(shopping_list=shopping_list, moment=sunday)

    assert trip.departs_now and trip.chosen_time_passed and trip.departure == sunday


def test_the_list_of_lists_shows_only_ones_own(client, town):
    user = UserFactory()
    services.shopping_list_create(owner=user, text="oat milk", name="Mine")
    services.shopping_list_create(owner=UserFactory(), text="bread", name="Theirs")
    services.shopping_list_create(visitor_key="someone-else", text="bread", name="Visitor list")
    client.force_login(user)

    page = client.get(reverse("shopping_list:index")).content.decode()

    assert "Mine" in page and "Theirs" not in page and "Visitor list" not in page


def test_a_picked_offer_decides_where_the_line_is_bought(town):
    other_bakery = open_every_day(ShopFactory(name="Far bakery", latitude=CENTRE[0] + 0.02))
    rye = ProductFactory(shop=other_bakery, title="Sourdough loaf")
    shopping_list = start_at_centre(make_list(UserFactory(), "sourdough loaf"))
    services.shopping_list_line_change(line=shopping_list.lines.get(), product_id=rye.pk)

    trip = shopping_list_trip(shopping_list=shopping_list)

    assert [stop.shop for stop in trip.stops] == [other_bakery]


def test_deliver_it_instead_quotes_the_collectives_fee_for_one_ride(town):
    shopping_list = start_at_centre(make_list(UserFactory()))

    delivery = shopping_list_trip(shopping_list=shopping_list).delivery

    (group,) = delivery.groups
    assert {shop.name for shop in group.shops} == {"Grocer", "Bakery"}
    # 3.00 base + 1.00 per km of the ride grocer → bakery → customer (about 0.9 km).
    assert Money("3.80", "EUR") <= group.fee <= Money("4.10", "EUR")
    assert [item.line.text for item in delivery.pickup_only] == ["inner tube 28 inch"]
    assert delivery.total == delivery.goods + delivery.fee


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "list",
            {
                "Waxy potatoes": 2,
                "Barista oat milk": 3,
                "Rye sourdough loaf 750 g": 1,
                "Presta inner tube 28 inch": 1,
            },
        ),
        (
            "trip",
            {
                "Waxy potatoes": 2,
                "Barista oat milk": 3,
                "Rye sourdough loaf 750 g": 1,
                "Presta inner tube 28 inch": 1,
            },
        ),
        ("delivery", {"Waxy potatoes": 2, "Barista oat milk": 3, "Rye sourdough loaf 750 g": 1}),
    ],
)
def test_everything_chosen_goes_into_the_cart_in_one_click(client, town, source, expected):
    user = UserFactory()
    shopping_list = start_at_centre(make_list(user))
    client.force_login(user)

    response = client.post(
        reverse("shopping_list:to_cart", kwargs={"list_id": shopping_list.pk}), {"source": source}
    )

    assert response.status_code == 302 and response.url == reverse("orders:cart")
    in_cart = {
        line.product.title: line.quantity for line in CartLine.objects.filter(cart__user=user)
    }
    assert in_cart == expected


def test_what_is_short_in_stock_is_said_and_the_rest_still_goes_into_the_cart(client, town):
    town["potatoes"].stock_quantity = Decimal("1")
    town["potatoes"].save()
    user = UserFactory()
    shopping_list = make_list(user, "2 kg potatoes\noat milk")
    client.force_login(user)

    response = client.post(
        reverse("shopping_list:to_cart", kwargs={"list_id": shopping_list.pk}),
        {"source": "list"},
        follow=True,
    )

    page = response.content.decode()
    assert "Only 1 kg of Waxy potatoes left" in page
    assert list(CartLine.objects.values_list("product__title", flat=True)) == ["Barista oat milk"]


def test_the_trip_into_the_cart_without_a_start_asks_for_one(client, town):
    user = UserFactory()
    shopping_list = make_list(user)
    client.force_login(user)

    response = client.post(
        reverse("shopping_list:to_cart", kwargs={"list_id": shopping_list.pk}),
        {"source": "trip"},
        follow=True,
    )

    assert "Say where you start from" in response.content.decode()
    assert not CartLine.objects.exists()


def test_a_visitor_puts_a_list_into_their_cart(client, town):
    client.post(reverse("shopping_list:index"), {"text": "oat milk"})
    shopping_list = ShoppingList.objects.get()

    client.post(reverse("shopping_list:to_cart", kwargs={"list_id": shopping_list.pk}))

    assert "Barista oat milk" in client.get(reverse("orders:cart")).content.decode()


# Query counts ------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("name", ["shopping_list:detail", "shopping_list:trip"])
def test_list_pages_run_the_same_queries_for_one_line_and_twenty(
    client, town, django_assert_num_queries, name
):
    user = UserFactory()
    # A misspelt line takes both matching queries: full text, then spelled alike.
    few = start_at_centre(make_list(user, "oat mlik"))
    things = ["2 kg potatoes", "oat milk", "sourdough loaf", "inner tube 28 inch", "oat mlik"]
    many = start_at_centre(make_list(user, "\n".join(things[n % 5] for n in range(19))))
    services.shopping_list_add_line(shopping_list=many, text="unicorn glitter")
    services.shopping_list_line_change(line=many.lines.first(), product_id=town["potatoes"].pk)
    client.force_login(user)
    client.get(reverse(name, kwargs={"list_id": few.pk}))  # warm caches (content types, session)

    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse(name, kwargs={"list_id": few.pk})).status_code == 200
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(reverse(name, kwargs={"list_id": many.pk})).status_code == 200


def test_the_list_of_lists_is_paginated_with_a_fixed_number_of_queries(
    client, town, django_assert_num_queries
):
    user = UserFactory()
    for n in range(25):
        ShoppingList.objects.create(owner=user, name=f"List {n}")
    ShoppingListLine.objects.create(
        shopping_list=ShoppingList.objects.first(), text="oat milk", query="oat milk"
    )
    client.force_login(user)
    client.get(reverse("shopping_list:index"))

    with CaptureQueriesContext(connection) as first:
        response = client.get(reverse("shopping_list:index"))
    assert response.status_code == 200 and "Page 1 of 2" in response.content.decode()
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("shopping_list:index") + "?page=2")
