import datetime
from decimal import Decimal

import factory
from djmoney.money import Money

from marketplace.tests.factories import UserFactory
from shops.models import Category, Label, OpeningHours, Product, Shop, ShopMembership


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"label-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"Shop {n}")
    slug = factory.Sequence(lambda n: f"shop-{n}")
    status = Shop.Status.ACTIVE
    street = "Market Street 1"
    postcode = "10117"
    city = "Lindenfeld"
    latitude = 52.5163
    longitude = 13.3777


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    shop = factory.SubFactory(ShopFactory)
    weekday = 0
    opens = datetime.time(9)
    closes = datetime.time(18)


class ShopMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShopMembership

    shop = factory.SubFactory(ShopFactory)
    user = factory.SubFactory(UserFactory)
    role = ShopMembership.Role.STAFF


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    shop = factory.SubFactory(ShopFactory)
    title = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = Money(Decimal("4.50"), "EUR")
    stock_quantity = Decimal("10")
    category = None
