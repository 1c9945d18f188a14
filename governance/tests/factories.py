import datetime

from governance.models import Member
from marketplace.tests.factories import UserFactory
from shops.tests.factories import ShopFactory, ShopMembershipFactory

JOINED = datetime.date(2025, 1, 1)


def member_shop(**shop_fields) -> tuple[Member, object]:
    """A member shop and its owner, who votes for it."""
    shop = ShopFactory(**shop_fields)
    owner = UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    return Member.objects.create(kind=Member.Kind.SHOP, shop=shop, joined_on=JOINED), owner


def member_shops(n: int) -> list[tuple[Member, object]]:
    return [member_shop() for _ in range(n)]
