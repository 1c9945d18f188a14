"""Setting up the seeded town for a benchmark run (call after django.setup())."""


def open_around_the_clock(shop_ids) -> None:
    """Every given shop open day and night with no lead time for the run, so any moment
    has pickup times: the most a shop can offer, whatever the hour."""
    from shops.models import OpeningHours, Shop

    shop_ids = list(shop_ids)
    OpeningHours.objects.filter(shop_id__in=shop_ids).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(shop_id=shop_id, weekday=day, opens="00:00", closes="23:59")
        for shop_id in shop_ids
        for day in range(7)
    )
    Shop.objects.filter(pk__in=shop_ids).update(pickup_lead_minutes=0)
