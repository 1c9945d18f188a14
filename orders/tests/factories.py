import datetime
import secrets

from django.utils import timezone

from logistics.quotes import window_offers
from marketplace.tests.factories import UserFactory
from orders import services
from orders.delivery import pickup_slots
from orders.models import Cart
from shops.models import OpeningHours, Shop
from shops.tests.factories import ShopFactory


def open_every_day(shop, opens=datetime.time(0, 0), closes=datetime.time(23, 59)):
    OpeningHours.objects.bulk_create(
        [OpeningHours(shop=shop, weekday=day, opens=opens, closes=closes) for day in range(7)]
    )
    return shop


def open_shop(**kwargs):
    shop = ShopFactory(pickup_lead_minutes=30, **kwargs)
    return open_every_day(shop)


def cart_with(items, user=None) -> Cart:
    cart = services.cart_get_or_create(user=user or UserFactory())
    for product, quantity in items:
        services.cart_add(cart=cart, product=product, quantity=quantity)
    return cart


def first_slot(shop, now=None) -> datetime.datetime:
    shop = type(shop).objects.prefetch_related("opening_hours").get(pk=shop.pk)
    return pickup_slots(shop, now or timezone.now())[0][0]


def pickup_request(shops, **overrides) -> services.CheckoutRequest:
    values = {
        "checkout_token": secrets.token_urlsafe(16),
        "name": "Chris Customer",
        "email": "chris@example.org",
        "payment_method": "on_collection",
        "choices": {
            shop.pk: services.ShopChoice(fulfilment="pickup", pickup_from=first_slot(shop))
            for shop in shops
        },
    }
    values.update(overrides)
    return services.CheckoutRequest(**values)


def serve_every_day(collective, opens=datetime.time(0, 0), closes=datetime.time(23, 59)):
    """Service hours every day, so a test at any hour finds a delivery window soon."""
    from logistics.models import ServiceHours

    ServiceHours.objects.bulk_create(
        [
            ServiceHours(collective=collective, weekday=day, opens=opens, closes=closes)
            for day in range(7)
        ]
    )
    return collective


def first_window(shops, now=None) -> datetime.datetime | None:
    """The earliest delivery window every one of `shops` can make (they share a collective);
    None when they have no collective."""
    shops = list(
        Shop.objects.select_related("delivery_collective")
        .prefetch_related("opening_hours", "closures", "delivery_collective__service_hours")
        .filter(pk__in=[shop.pk for shop in shops])
    )
    if shops[0].delivery_collective is None:
        return None
    wanted = {shop.pk for shop in shops}
    offers = window_offers(shops[0].delivery_collective, shops, now or timezone.now())
    return next(offer.starts_at for offer in offers if wanted <= offer.shop_ids)


def delivery_choices(shops, now=None) -> dict:
    """Delivery for every shop, in the earliest window they can all make."""
    start = first_window(shops, now)
    return {
        shop.pk: services.ShopChoice(fulfilment="delivery", delivery_from=start) for shop in shops
    }
