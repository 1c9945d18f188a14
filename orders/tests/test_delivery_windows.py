"""Delivery windows at checkout: offered from the couriers' service hours and the shops'
opening hours, chosen by the customer, booked once per ride, given back on cancellation."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from logistics.models import Collective, DeliveryJob, DeliveryWindow, ServiceHours
from logistics.quotes import window_offers
from logistics.services import delivery_job_for_order
from orders import services
from orders.exceptions import CheckoutError
from orders.forms import window_choices
from orders.models import Order, Purchase
from orders.services.checkout import DeliveryAddress, ShopChoice
from shops.models import OpeningHours, Product, Shop, ShopClosure
from shops.tests.factories import ProductFactory, ShopFactory

from .factories import cart_with, first_window, pickup_request, serve_every_day

pytestmark = pytest.mark.django_db
ADDRESS = DeliveryAddress("Linden Avenue 3", "10117", "Lindenfeld", 52.5170, 13.3790)


def at(day, hour, minute=0):
    """A moment in the first week of December 2026 (Tuesday the 1st), local time."""
    return timezone.make_aware(datetime.datetime(2026, 12, day, hour, minute))


def riders(**kwargs):
    """Weekdays 8–20, Saturday 9–18, no Sunday; 2-hour windows."""
    collective = Collective.objects.create(
        name="Cargo Riders",
        slug="cargo-riders",
        delivery_base_fee=Money("3.00", "EUR"),
        delivery_fee_per_km=Money("1.00", "EUR"),
        **kwargs,
    )
    hours = [(d, "08:00", "20:00") for d in range(5)] + [(5, "09:00", "18:00")]
    ServiceHours.objects.bulk_create(
        ServiceHours(collective=collective, weekday=d, opens=o, closes=c) for d, o, c in hours
    )
    return collective


def shop_open(collective, opens="07:00", closes="18:00", days=range(6), lead=60, **kwargs):
    shop = ShopFactory(
        offers_delivery=True,
        delivery_collective=collective,
        pickup_lead_minutes=lead,
        latitude=52.5163,
        longitude=13.3777,
        **kwargs,
    )
    OpeningHours.objects.bulk_create(
        OpeningHours(shop=shop, weekday=d, opens=opens, closes=closes) for d in days
    )
    return shop


def loaded(shops):
    return list(
        Shop.objects.select_related("delivery_collective")
        .prefetch_related("opening_hours", "closures", "delivery_collective__service_hours")
        .filter(pk__in=[s.pk for s in shops])
        .order_by("pk")
    )


def starts(offers):
    return [timezone.localtime(o.starts_at).strftime("%a %H:%M") for o in offers]


# What is offered ------------------------------------------------------------------------------


def test_at_two_in_the_night_the_first_window_is_when_shop_and_couriers_work():
    bakery = shop_open(riders())
    (bakery,) = loaded([bakery])
    offers = window_offers(bakery.delivery_collective, [bakery], at(1, 2))
    # Never "by 05:16": the first window starts at 08:00, when the couriers start and the
    # bakery (open from 07:00, an hour to prepare) can have the order ready.
    assert starts(offers)[:6] == [
        "Tue 08:00",
        "Tue 10:00",
        "Tue 12:00",
        "Tue 14:00",
        "Tue 16:00",
        "Wed 08:00",
    ]
    # The 18:00 window is not offered: the bakery closes at 18:00, when the courier comes.
    assert all(o.ends_at - o.starts_at == datetime.timedelta(hours=2) for o in offers)


def test_late_in_the_evening_the_windows_are_tomorrows_and_labelled_so():
    bakery = shop_open(riders())
    (bakery,) = loaded([bakery])
    now = at(1, 21)
    offers = window_offers(bakery.delivery_collective, [bakery], now)
    groups = window_choices(offers, now)
    assert [name for name, _options in groups] == ["Tomorrow", "Thu 3 Dec"]
    assert groups[0][1][0][1] == "Tomorrow 08:00–10:00"
    assert groups[1][1][0][1] == "Thu 3 Dec 08:00–10:00"


def test_the_lead_time_closures_and_days_off_of_the_shop_count():
    bakery = shop_open(riders())
    ShopClosure.objects.create(
        shop=bakery, first_day=datetime.date(2026, 12, 2), last_day=datetime.date(2026, 12, 2)
    )
    (bakery,) = loaded([bakery])
    # At 07:30 the 08:00 window is too soon for an hour's preparation.
    offers = window_offers(bakery.delivery_collective, [bakery], at(1, 7, 30))
    assert starts(offers)[0] == "Tue 10:00"
    # Closed on Wednesday: nothing that day, Thursday goes on.
    assert not any(s.startswith("Wed") for s in starts(offers))
    assert "Thu 08:00" in starts(offers)
    # Friday evening: Saturday from 09:00 (the couriers' hours), no Sunday (no couriers).
    offers = window_offers(bakery.delivery_collective, [bakery], at(4, 19))
    assert starts(offers) == ["Sat 09:00", "Sat 11:00", "Sat 13:00", "Sat 15:00"]


def test_shops_riding_together_are_offered_what_suits_them_all():
    collective = riders()
    bakery = shop_open(collective)
    late_grocer = shop_open(collective, opens="10:00")
    bakery, late_grocer = loaded([bakery, late_grocer])
    offers = window_offers(collective, [bakery, late_grocer], at(1, 2))
    both = {bakery.pk, late_grocer.pk}
    by_start = {timezone.localtime(o.starts_at).strftime("%H:%M"): o.shop_ids for o in offers[:5]}
    # The grocer opens at 10:00 and needs an hour: 12:00 is the first window for both.
    assert by_start == {
        "08:00": {bakery.pk},
        "10:00": {bakery.pk},
        "12:00": both,
        "14:00": both,
        "16:00": both,
    }


def test_full_windows_are_not_offered():
    bakery = shop_open(riders())
    (bakery,) = loaded([bakery])
    now = at(1, 2)
    offers = window_offers(bakery.delivery_collective, [bakery], now, full={at(1, 8)})
    assert starts(offers)[0] == "Tue 10:00"


# Checkout ---------------------------------------------------------------------------------


def deliver(shops, start, now, user=None):
    cart = cart_with([(ProductFactory(shop=s, stock_quantity=5), "1") for s in shops], user=user)
    choices = {s.pk: ShopChoice(fulfilment="delivery", delivery_from=start) for s in shops}
    request = pickup_request([], choices=choices, address=ADDRESS)
    return services.checkout_place(cart=cart, customer=cart.user, request=request, now=now)


def test_the_chosen_window_is_on_the_orders_booked_once_per_ride_and_drives_the_job():
    collective = riders()
    bakery, grocer = shop_open(collective), shop_open(collective)
    purchase = deliver([bakery, grocer], at(1, 14), now=at(1, 9))
    orders = list(purchase.orders.order_by("pk"))
    assert {(o.delivery_from, o.delivery_until) for o in orders} == {(at(1, 14), at(1, 16))}
    window = DeliveryWindow.objects.get()
    assert (window.starts_at, window.taken) == (at(1, 14), 1)  # one ride, one place
    for order in orders:
        for status in ("accepted", "ready"):
            services.order_transition(order=order, to_status=status)
    job = DeliveryJob.objects.get()
    assert (job.drop_after, job.drop_before) == (at(1, 14), at(1, 16))
    assert delivery_job_for_order(order=orders[0]) == job


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (None, "Choose a delivery time"),
        (at(1, 21), "the couriers do not deliver at this one"),  # after service hours
        (at(1, 9), "the couriers do not deliver at this one"),  # not a window start
        (at(1, 10), "Late Grocer cannot have your order ready by then"),
        (at(1, 8), "the couriers do not deliver at this one"),  # already begun at 09:00
    ],
)
def test_a_window_posted_by_hand_that_is_not_offered_changes_nothing(start, message):
    collective = riders()
    bakery = shop_open(collective)
    grocer = shop_open(collective, opens="10:00", name="Late Grocer")
    with pytest.raises(CheckoutError, match=message) as refused:
        deliver([bakery, grocer], start, now=at(1, 9))
    assert refused.value.field == f"window_{collective.pk}"
    assert not Purchase.objects.exists() and not DeliveryWindow.objects.filter(taken__gt=0)


def test_a_full_window_refuses_the_checkout_and_changes_nothing():
    collective = riders(window_capacity=1)
    bakery = shop_open(collective)
    deliver([bakery], at(1, 14), now=at(1, 9))
    bread = ProductFactory(shop=bakery, stock_quantity=5)
    cart = cart_with([(bread, "2")])
    request = pickup_request(
        [],
        choices={bakery.pk: ShopChoice(fulfilment="delivery", delivery_from=at(1, 14))},
        address=ADDRESS,
    )
    with pytest.raises(CheckoutError, match="fully booked") as refused:
        services.checkout_place(cart=cart, customer=cart.user, request=request, now=at(1, 9))
    assert refused.value.field == f"window_{collective.pk}"
    assert Purchase.objects.count() == 1
    assert Product.objects.get(pk=bread.pk).stock_quantity == 5
    assert cart.lines.count() == 1
    assert DeliveryWindow.objects.get().taken == 1


def test_the_place_comes_back_when_every_order_of_the_ride_is_cancelled():
    collective = riders(window_capacity=1)
    bakery, grocer = shop_open(collective), shop_open(collective)
    purchase = deliver([bakery, grocer], at(1, 14), now=at(1, 9))
    first, second = purchase.orders.order_by("pk")
    services.order_transition(order=first, to_status="cancelled")
    # The grocer's order still rides in that window.
    assert DeliveryWindow.objects.get().taken == 1
    services.order_transition(order=second, to_status="rejected")
    assert DeliveryWindow.objects.get().taken == 0
    # Refunding the cancelled order later gives nothing back twice.
    services.order_transition(order=first, to_status="refunded")
    assert DeliveryWindow.objects.get().taken == 0
    # And another customer can have the place.
    deliver([bakery], at(1, 14), now=at(1, 10))
    assert DeliveryWindow.objects.get().taken == 1


# The checkout page ------------------------------------------------------------------------


def delivering_cart(client, shops):
    for shop in shops:
        product = ProductFactory(shop=shop, stock_quantity=5)
        client.post(reverse("orders:cart_add", args=[product.pk]), {"quantity": "1"})


def around_the_clock(**kwargs):
    collective = serve_every_day(
        Collective.objects.create(
            name="Night Riders",
            slug="night-riders",
            delivery_base_fee=Money("3.00", "EUR"),
            delivery_fee_per_km=Money("1.00", "EUR"),
            **kwargs,
        )
    )
    return collective


def open_all_day(collective, **kwargs):
    return shop_open(collective, opens="00:00", closes="23:59", days=range(7), lead=30, **kwargs)


def post_data(page, shops, **extra):
    data = {
        "checkout_token": page.context["form"].initial["checkout_token"],
        "name": "Chris",
        "email": "chris@example.org",
        "payment_method": "on_collection",
        "street": "Linden Avenue 3",
        "postcode": "10117",
        "city": "Lindenfeld",
        "latitude": "52.5170",
        "longitude": "13.3790",
    }
    for shop in shops:
        data[f"fulfilment_{shop.pk}"] = "delivery"
    data.update(extra)
    return data


def test_the_page_preselects_the_earliest_window_and_leaves_full_ones_out(client):
    collective = around_the_clock(window_capacity=2)
    shop = open_all_day(collective)
    earliest = first_window([shop])
    DeliveryWindow.objects.create(
        collective=collective,
        starts_at=earliest,
        ends_at=earliest + datetime.timedelta(hours=2),
        capacity=2,
        taken=2,
    )
    delivering_cart(client, [shop])
    page = client.get(reverse("orders:checkout"))
    html = page.content.decode()
    field = page.context["form"][f"window_{collective.pk}"]
    assert field.label == "Delivery time"
    offered = [value for _day, options in field.field.choices[1:] for value, _label in options]
    assert earliest.isoformat() not in offered
    following = earliest + datetime.timedelta(hours=2)
    assert field.value() == following.isoformat()
    assert f'value="{following.isoformat()}" selected data-shops="{shop.pk}"' in html

    response = client.post(
        reverse("orders:checkout"),
        post_data(page, [shop], **{f"window_{collective.pk}": following.isoformat()}),
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.delivery_from == following
    detail = client.get(order.purchase.get_absolute_url()).content.decode()
    local = timezone.localtime(following)
    assert f"{local:%H:%M}–{local + datetime.timedelta(hours=2):%H:%M}" in detail


@pytest.mark.parametrize("posted", ["full", "outside", "missing"])
def test_a_full_or_made_up_window_gets_a_message_and_nothing_changes(client, posted):
    collective = around_the_clock(window_capacity=1)
    shop = open_all_day(collective)
    earliest = first_window([shop])
    delivering_cart(client, [shop])
    page = client.get(reverse("orders:checkout"))
    if posted == "full":
        # Someone else took the last place while this customer was filling in the form.
        DeliveryWindow.objects.create(
            collective=collective,
            starts_at=earliest,
            ends_at=earliest + datetime.timedelta(hours=2),
            capacity=1,
            taken=1,
        )
        value = earliest.isoformat()
    elif posted == "outside":
        value = (earliest + datetime.timedelta(minutes=17)).isoformat()
    else:
        value = ""
    response = client.post(
        reverse("orders:checkout"), post_data(page, [shop], **{f"window_{collective.pk}": value})
    )
    assert response.status_code == 400
    errors = response.context["form"].errors[f"window_{collective.pk}"]
    expected = {
        "full": "This delivery time is not offered (any more); choose another.",
        "outside": "This delivery time is not offered (any more); choose another.",
        "missing": "Choose a delivery time.",
    }[posted]
    assert errors == [expected]
    assert expected in response.content.decode()
    assert not Purchase.objects.exists()


def test_the_checkout_page_asks_the_same_queries_for_one_or_four_delivering_shops(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    collective = around_the_clock()
    delivering_cart(client, [open_all_day(collective)])
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("orders:checkout"))
    one_shop = len(one)  # read now: a later request empties the connection's query log
    delivering_cart(client, [open_all_day(collective) for _ in range(3)])
    with CaptureQueriesContext(connection) as four:
        page = client.get(reverse("orders:checkout"))
    assert len(page.context["form"].shops) == 4
    assert one_shop > 5
    assert len(four) == one_shop


def test_the_collective_page_shows_its_service_hours_and_windows(client):
    collective = riders(window_capacity=6)
    html = client.get(collective.get_absolute_url()).content.decode()
    assert "Service hours" in html
    assert "Saturday" in html and "09:00–18:00" in html and "Sunday" not in html
    assert "120 minutes, up to 6 deliveries each" in html


def test_the_demo_collective_offers_a_window_today_or_tomorrow_at_any_daytime_hour():
    from logistics.demo import collective_demo_hours

    collective = riders()
    ServiceHours.objects.filter(collective=collective).delete()
    collective_demo_hours(collective)
    collective_demo_hours(collective)  # seeding twice changes nothing
    assert ServiceHours.objects.filter(collective=collective).count() == 7
    # A food shop as the demo has them: weekdays 7–18, Saturday 7–13, Sunday 8–11.
    shop = ShopFactory(
        offers_delivery=True, delivery_collective=collective, latitude=52.5, longitude=13.4
    )
    OpeningHours.objects.bulk_create(
        [OpeningHours(shop=shop, weekday=d, opens="07:00", closes="18:00") for d in range(5)]
        + [
            OpeningHours(shop=shop, weekday=5, opens="07:00", closes="13:00"),
            OpeningHours(shop=shop, weekday=6, opens="08:00", closes="11:00"),
        ]
    )
    (shop,) = loaded([shop])
    for day in range(1, 8):  # Tuesday to Monday
        for hour in range(7, 23):
            now = at(day, hour)
            offers = window_offers(shop.delivery_collective, [shop], now)
            assert offers, now
            first = timezone.localtime(offers[0].starts_at).date()
            assert (first - now.date()).days <= 1, now
