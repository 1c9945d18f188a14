import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from shops.models import Category, Product
from shops.selectors import shop_opening_state

from .factories import CategoryFactory, OpeningHoursFactory, ProductFactory, ShopFactory

pytestmark = pytest.mark.django_db


def test_sku_is_unique_within_a_shop_but_not_across_shops():
    first = ProductFactory(sku="BREAD-1")
    ProductFactory(sku="BREAD-1")  # another shop may use the same SKU
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductFactory(shop=first.shop, sku="BREAD-1")


def test_stock_can_never_be_negative_in_the_database():
    product = ProductFactory(stock_quantity=Decimal("1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(stock_quantity=Decimal("-1"))


def test_category_path_follows_the_tree():
    food = CategoryFactory(slug="food", name="Food")
    dairy = Category.objects.create(parent=food, slug="dairy", name="Dairy")
    assert dairy.path == "food/dairy"
    assert dairy.depth == 1


def test_always_available_products_are_in_stock_without_stock():
    assert ProductFactory(stock_quantity=0, always_available=True).in_stock
    assert not ProductFactory(stock_quantity=0).in_stock
    assert ProductFactory(stock_quantity=Decimal("0.5")).in_stock


def _at(weekday: int, hour: int, minute: int = 0) -> datetime.datetime:
    # 2026-11-23 is a Monday.
    day = datetime.date(2026, 11, 23) + datetime.timedelta(days=weekday)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_a_shop_is_open_inside_its_hours_and_says_until_when():
    shop = ShopFactory()
    OpeningHoursFactory(shop=shop, weekday=0, opens=datetime.time(9), closes=datetime.time(13))
    OpeningHoursFactory(shop=shop, weekday=0, opens=datetime.time(14), closes=datetime.time(18))
    state = shop_opening_state(shop=shop, moment=_at(0, 10))
    assert state.is_open and state.closes_at == datetime.time(13)


def test_a_closed_shop_says_when_it_opens_next():
    shop = ShopFactory()
    OpeningHoursFactory(shop=shop, weekday=0, opens=datetime.time(9), closes=datetime.time(13))
    OpeningHoursFactory(shop=shop, weekday=0, opens=datetime.time(14), closes=datetime.time(18))
    OpeningHoursFactory(shop=shop, weekday=2, opens=datetime.time(8), closes=datetime.time(12))
    lunch = shop_opening_state(shop=shop, moment=_at(0, 13, 30))
    assert not lunch.is_open and lunch.next_opening == _at(0, 14)
    evening = shop_opening_state(shop=shop, moment=_at(0, 18))
    assert not evening.is_open and evening.next_opening == _at(2, 8)


def test_a_shop_without_hours_is_closed_with_no_next_opening():
    state = shop_opening_state(shop=ShopFactory(), moment=_at(0, 10))
    assert state == type(state)(is_open=False)
