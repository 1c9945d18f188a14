import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from governance.models import Member
from marketplace.tests.factories import UserFactory
from shops.tests.factories import ShopFactory, ShopMembershipFactory

pytestmark = pytest.mark.django_db
JOINED = datetime.date(2026, 1, 1)


def test_the_register_is_for_members_only_and_counts_are_public(client, settings):
    settings.GOVERNANCE_MEMBER_KINDS = ["shop", "supporter"]
    shop = ShopFactory(name="Corner Bakery")
    owner = UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    Member.objects.create(kind=Member.Kind.SHOP, shop=shop, joined_on=JOINED)
    Member.objects.create(kind=Member.Kind.SUPPORTER, user=UserFactory(), joined_on=JOINED)

    public = client.get(reverse("governance:cooperative"))
    assert public.context["member_count"] == 2
    assert public.context["page"] is None

    client.force_login(UserFactory())  # signed in, but not a member
    assert client.get(reverse("governance:cooperative")).context["page"] is None

    client.force_login(owner)
    page = client.get(reverse("governance:cooperative")).context["page"]
    assert [str(entry) for entry in page] == ["Corner Bakery", str(Member.objects.last())]


def test_shop_staff_are_not_members_through_their_shop_only_owners_vote(client):
    shop = ShopFactory()
    staff = UserFactory()
    ShopMembershipFactory(shop=shop, user=staff, role="staff")
    Member.objects.create(kind=Member.Kind.SHOP, shop=shop, joined_on=JOINED)
    client.force_login(staff)
    assert client.get(reverse("governance:cooperative")).context["page"] is None


def test_a_member_entry_is_exactly_one_party():
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(kind=Member.Kind.SHOP, joined_on=JOINED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(
            kind=Member.Kind.SHOP, shop=ShopFactory(), user=UserFactory(), joined_on=JOINED
        )
