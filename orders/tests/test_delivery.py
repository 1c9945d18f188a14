"""Pickup times: checking one chosen time gives the same answer as listing them all."""

import datetime

import pytest
from django.utils import timezone

from orders.delivery import pickup_slot_at, pickup_slots
from shops.models import OpeningHours, Shop, ShopClosure
from shops.tests.factories import ShopFactory

pytestmark = pytest.mark.django_db


def local(year, month, day, hour, minute=0, second=0):
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute, second))


@pytest.fixture
def shop():
    """Two intervals a day, one not a whole number of slots long, a night that spans the
    clocks' change, and a closed day."""
    shop = ShopFactory(pickup_lead_minutes=45, pickup_slot_minutes=20)
    hours = []
    for day in range(7):
        hours += [
            OpeningHours(shop=shop, weekday=day, opens=datetime.time(1, 10), closes="04:00"),
            OpeningHours(shop=shop, weekday=day, opens=datetime.time(9), closes="12:50"),
        ]
    OpeningHours.objects.bulk_create(hours)
    ShopClosure.objects.create(
        shop=shop, first_day=datetime.date(2026, 12, 3), last_day=datetime.date(2026, 12, 3)
    )
    return Shop.objects.prefetch_related("opening_hours", "closures").get(pk=shop.pk)


@pytest.mark.parametrize(
    "now",
    [
        local(2026, 12, 1, 0, 5),
        local(2026, 12, 1, 9, 17),  # a lead time that ends between slots
        local(2026, 12, 2, 23, 59),  # the closed day is tomorrow
        local(2026, 3, 28, 22, 0),  # clocks go forward on the 29th at 2:00
        local(2026, 10, 24, 22, 0),  # and back on 25 October at 3:00
    ],
)
def test_a_time_is_a_slot_exactly_when_the_list_has_it(shop, now):
    listed = [start for start, _end in pickup_slots(shop, now)]
    assert listed
    # Every listed slot is found as the page writes it and as checkout is handed it, and
    # in UTC too, except the times the clocks skip in spring (no clock reads them in UTC).
    for start in listed:
        written = [start, datetime.datetime.fromisoformat(start.isoformat())]
        in_utc = start.astimezone(datetime.UTC)
        if timezone.localtime(in_utc).time() == start.time():
            written.append(in_utc)
        for moment in written:
            assert pickup_slot_at(shop, moment, now).timestamp() == start.timestamp()
    # Every other moment on a 5-minute grid over the days around is refused.
    moment = timezone.localtime(now).replace(hour=0, minute=0) - datetime.timedelta(days=1)
    offered = {start.astimezone(datetime.UTC) for start in listed}
    while moment < now + datetime.timedelta(days=5):
        if moment.astimezone(datetime.UTC) not in offered:
            assert pickup_slot_at(shop, moment, now) is None, moment
        moment += datetime.timedelta(minutes=5)


def test_a_time_without_a_zone_is_refused(shop):
    now = local(2026, 12, 1, 8)
    (first, _end), *_ = pickup_slots(shop, now)
    assert pickup_slot_at(shop, first.replace(tzinfo=None), now) is None


def test_the_listed_times_are_kept_until_the_shop_changes_its_days(shop):
    """The checkout page's times are listed once a minute for every customer; a closure the
    shop adds takes its day off the list at once, and every time kept is still on offer."""
    from django.core.cache import cache

    from orders.forms import shop_slot_choices

    cache.clear()
    now = local(2026, 12, 1, 8, 0, 30)  # half a minute past: listed from 8:01
    listed = shop_slot_choices(shop, now)
    assert any(value.startswith("2026-12-02") for value, _label in listed)
    for value, _label in listed:
        moment = datetime.datetime.fromisoformat(value)
        assert pickup_slot_at(shop, moment, now) is not None

    ShopClosure.objects.create(
        shop=shop, first_day=datetime.date(2026, 12, 2), last_day=datetime.date(2026, 12, 2)
    )
    shop = Shop.objects.prefetch_related("opening_hours", "closures").get(pk=shop.pk)
    relisted = shop_slot_choices(shop, now)
    assert relisted and not any(value.startswith("2026-12-02") for value, _label in relisted)
