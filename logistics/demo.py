"""The demo collective's delivery hours and windows (called by marketplace/demo/seed.py)."""

import datetime

from .models import Collective, ServiceHours

# Weekdays 8–20, Saturday 9–18, a short Sunday morning: at any daytime hour the demo offers
# a delivery window today or tomorrow (the food shops open on Sunday mornings too).
DEMO_SERVICE_HOURS = [
    ((0, 4), "08:00", "20:00"),
    ((5, 5), "09:00", "18:00"),
    ((6, 6), "09:00", "13:00"),
]


def collective_demo_hours(collective: Collective) -> None:
    """Give the demo collective 2-hour windows of 6 rides and its service hours, once."""
    Collective.objects.filter(pk=collective.pk).update(window_minutes=120, window_capacity=6)
    if collective.service_hours.exists():
        return
    ServiceHours.objects.bulk_create(
        ServiceHours(
            collective=collective,
            weekday=weekday,
            opens=datetime.time.fromisoformat(opens),
            closes=datetime.time.fromisoformat(closes),
        )
        for (first, last), opens, closes in DEMO_SERVICE_HOURS
        for weekday in range(first, last + 1)
    )
