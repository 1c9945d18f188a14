"""Delivery windows: a collective's service hours cut into windows customers choose from.
Pure functions of prefetched hours; which windows are full comes from the database."""

import datetime

from django.utils import timezone

from .models import Collective

WINDOW_DAYS = 3


def collective_windows(
    collective: Collective, now: datetime.datetime, days: int = WINDOW_DAYS
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Windows that start after `now`, today and the next days, each wholly inside one
    service interval (the collective works for the whole window). Uses prefetched hours."""
    now = timezone.localtime(now)
    length = datetime.timedelta(minutes=collective.window_minutes)
    intervals = sorted(collective.service_hours.all(), key=lambda i: (i.weekday, i.opens))
    windows = []
    for day_offset in range(days):
        day = (now + datetime.timedelta(days=day_offset)).date()
        for interval in intervals:
            if interval.weekday != day.weekday():
                continue
            start = timezone.make_aware(datetime.datetime.combine(day, interval.opens))
            close = timezone.make_aware(datetime.datetime.combine(day, interval.closes))
            while start + length <= close:
                if start > now:
                    windows.append((start, start + length))
                start += length
    return windows
