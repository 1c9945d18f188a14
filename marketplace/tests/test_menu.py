"""The header menu puts each person's own work first: the shop's orders for shop staff, jobs,
route and earnings for couriers, the board for dispatchers; all found in one query."""

import re

import pytest
from django.urls import reverse

from logistics.tests.factories import collective, courier
from marketplace.selectors import user_roles
from marketplace.tests.factories import UserFactory
from shops.tests.factories import ShopFactory, ShopMembershipFactory

pytestmark = pytest.mark.django_db


def nav_links(html: str) -> list[str]:
    """The menu's link targets in order, as a reader meets them."""
    nav = html[html.index('<nav class="main-nav"') : html.index("</nav>")]
    return re.findall(r'<a href="([^"]+)"', nav)


def test_roles_of_a_dispatching_courier_who_also_works_at_two_shops(django_assert_num_queries):
    user = UserFactory()
    first, second = ShopFactory(), ShopFactory()
    ShopMembershipFactory(shop=first, user=user, role="staff")
    ShopMembershipFactory(shop=second, user=user, role="owner")
    riders = collective()
    riders.couriers.create(user=user, is_dispatcher=True)

    with django_assert_num_queries(1):
        roles = user_roles(user=user)

    assert roles["shop_member"] and roles["courier"]
    assert roles["shop_id"] == first.pk
    assert roles["dispatch_slug"] == riders.slug


def test_a_customer_has_no_work_links():
    roles = user_roles(user=UserFactory())
    assert roles == {
        "shop_member": False,
        "courier": False,
        "member": False,
        "shop_id": None,
        "dispatch_slug": None,
    }


def test_a_courier_sees_jobs_route_and_earnings_first(client):
    rider = courier(collective())
    client.force_login(rider.user)
    links = nav_links(client.get(reverse("marketplace:home")).content.decode())
    assert links[:4] == [
        reverse("logistics:courier_home"),
        reverse("logistics:open_jobs"),
        reverse("logistics:route"),
        reverse("logistics:earnings"),
    ]
    assert reverse("orders:cart") not in links  # the cart sits in the bar, always visible


def test_shop_staff_see_their_shop_and_its_orders_first(client):
    user = UserFactory()
    shop = ShopFactory()
    ShopMembershipFactory(shop=shop, user=user, role="staff")
    client.force_login(user)
    links = nav_links(client.get(reverse("marketplace:home")).content.decode())
    assert links[:2] == [
        reverse("dashboard:start"),
        reverse("orders:shop_orders", kwargs={"shop_id": shop.pk}),
    ]


def test_the_courier_home_keeps_the_menu_although_it_has_its_own_roles(client):
    rider = courier(collective())
    client.force_login(rider.user)
    links = nav_links(client.get(reverse("logistics:courier_home")).content.decode())
    assert reverse("logistics:open_jobs") in links
