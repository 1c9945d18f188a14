"""The demo town loads, is the same every time, and loading it twice changes nothing."""

import io

import pytest
from django.core.management import call_command

from governance.models import Member
from logistics.models import Courier
from shops.models import Product, Shop

pytestmark = pytest.mark.django_db


def snapshot():
    return sorted(
        Product.objects.values_list("shop__slug", "sku", "title", "price", "stock_quantity")
    )


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_the_demo_town_has_shops_products_couriers_members_and_logins():
    output = seed()
    active = Shop.objects.filter(status=Shop.Status.ACTIVE)
    assert active.count() >= 12
    assert Product.objects.filter(shop__in=active).count() >= 300
    assert Shop.objects.filter(status=Shop.Status.APPLIED).exists()
    assert Courier.objects.filter(is_dispatcher=True).exists()
    assert Member.objects.filter(kind=Member.Kind.SHOP).count() >= 12
    # Products look like a real shop's: several units, labels, and some sold out.
    assert set(Product.objects.values_list("unit", flat=True)) >= {"piece", "kg", "litre", "hour"}
    assert Product.objects.filter(stock_quantity=0, always_available=False).exists()
    assert Product.objects.filter(labels__slug="organic").exists()
    for role in ["customer", "shop owner", "courier", "dispatcher", "cooperative member"]:
        assert role in output
    assert "commonplace-demo" in output


def test_seeding_twice_changes_nothing_and_is_deterministic():
    seed()
    first = snapshot()
    counts = (Shop.objects.count(), Courier.objects.count(), Member.objects.count())
    output = seed()
    assert "(0 new)" in output
    assert snapshot() == first
    assert (Shop.objects.count(), Courier.objects.count(), Member.objects.count()) == counts
    # Recreated from nothing, the same products come back.
    Product.objects.all().delete()
    seed()
    assert snapshot() == first


def test_the_demo_scales_to_a_given_number_of_products_and_shops():
    seed("--products", "1000", "--shops", "20")
    assert Shop.objects.filter(status=Shop.Status.ACTIVE).count() == 20
    assert Product.objects.filter(shop__status=Shop.Status.ACTIVE).count() == 1000
    assert Product.objects.values("shop", "slug").distinct().count() == Product.objects.count()
