"""A shop joining the node: it applies, and the members' admission vote activates it."""

from django.db import transaction
from django.utils.text import slugify

from ..catalogue_cache import catalogue_changed
from ..models import Shop, ShopMembership


@transaction.atomic
def shop_application_create(*, owner, name: str, **details) -> Shop:
    """A new shop in the applied state (invisible to customers) with `owner` as its owner.
    The slug is made unique by a number if the name is taken."""
    base = slugify(name)[:100] or "shop"
    slug, n = base, 1
    while Shop.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    shop = Shop.objects.create(name=name, slug=slug, status=Shop.Status.APPLIED, **details)
    ShopMembership.objects.create(shop=shop, user=owner, role=ShopMembership.Role.OWNER)
    return shop


def shop_admit(*, shop: Shop) -> bool:
    """Make an applied shop active; False (and nothing changed) if it was not applying."""
    catalogue_changed()
    return bool(
        Shop.objects.filter(pk=shop.pk, status=Shop.Status.APPLIED).update(
            status=Shop.Status.ACTIVE
        )
    )
