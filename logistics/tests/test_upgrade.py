"""Collectives made before delivery windows existed keep delivering after the upgrade."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from logistics.models import Collective, ServiceHours
from logistics.windows import collective_windows

upgrade = importlib.import_module("logistics.migrations.0008_default_service_hours")


@pytest.mark.django_db
def test_a_collective_without_hours_gets_weekday_and_saturday_windows():
    # Given a collective from before windows, and one that already set its own hours
    old = Collective.objects.create(name="Old Riders", slug="old-riders")
    own = Collective.objects.create(name="Own Hours", slug="own-hours")
    ServiceHours.objects.create(
        collective=own, weekday=6, opens=datetime.time(10), closes=datetime.time(12)
    )

    # When the upgrade runs
    upgrade.give_default_hours(apps, None)

    # Then the old one works Monday to Saturday and offers windows on a Monday morning
    hours = list(old.service_hours.values_list("weekday", "opens", "closes"))
    assert [h[0] for h in hours] == [0, 1, 2, 3, 4, 5]
    assert hours[0][1:] == (datetime.time(8), datetime.time(20))
    monday = timezone.make_aware(datetime.datetime(2026, 12, 7, 7, 0))
    windows = collective_windows(
        Collective.objects.prefetch_related("service_hours").get(pk=old.pk), monday
    )
    assert windows and timezone.localtime(windows[0][0]).time() == datetime.time(8)
    # and the one with its own hours keeps exactly those
    assert list(own.service_hours.values_list("weekday", flat=True)) == [6]
