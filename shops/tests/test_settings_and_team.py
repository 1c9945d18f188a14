"""Owners set their shop up and manage their team; staff and outsiders cannot."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from marketplace.tests.factories import UserFactory
from orders.delivery import pickup_slots
from shops.models import Shop, ShopClosure, ShopMembership, TeamInvitation
from shops.selectors import shop_opening_state

from .factories import OpeningHoursFactory, ShopFactory, ShopMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(client):
    shop = ShopFactory()
    owner = UserFactory()
    ShopMembershipFactory(shop=shop, user=owner, role="owner")
    client.force_login(owner)
    return client, shop, owner


def settings_data(shop, **overrides):
    data = {
        "name": shop.name,
        "description": "",
        "street": shop.street,
        "postcode": shop.postcode,
        "city": shop.city,
        "latitude": shop.latitude,
        "longitude": shop.longitude,
        "phone": "",
        "email": "",
        "website": "",
        "pickup_lead_minutes": "45",
        "pickup_slot_minutes": "20",
        "offers_delivery": "on",
        "delivery_radius_km": "2.5",
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "0",
        "hours-0-weekday": "0",
        "hours-0-opens": "09:00",
        "hours-0-closes": "17:00",
        "closures-TOTAL_FORMS": "1",
        "closures-INITIAL_FORMS": "0",
        "closures-0-first_day": "2026-12-24",
        "closures-0-last_day": "2026-12-26",
        "closures-0-note": "Christmas",
    }
    data.update(overrides)
    return data


def test_owners_change_settings_hours_and_holidays(owner_client):
    client, shop, _owner = owner_client
    response = client.post(reverse("dashboard:settings", args=[shop.pk]), settings_data(shop))
    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.pickup_lead_minutes, shop.offers_delivery) == (45, True)
    assert list(shop.opening_hours.values_list("weekday", "opens")) == [(0, datetime.time(9))]
    assert ShopClosure.objects.get(shop=shop).note == "Christmas"


def test_bad_settings_are_refused_and_change_nothing(owner_client):
    client, shop, _owner = owner_client
    bad = settings_data(
        shop, **{"hours-0-opens": "18:00", "hours-0-closes": "09:00", "pickup_slot_minutes": "1"}
    )
    response = client.post(reverse("dashboard:settings", args=[shop.pk]), bad)
    assert response.status_code == 400
    shop.refresh_from_db()
    assert shop.pickup_slot_minutes == 30 and not shop.opening_hours.exists()


def test_a_closure_closes_the_shop_and_its_pickup_slots():
    shop = ShopFactory(pickup_lead_minutes=0)
    for weekday in range(7):
        OpeningHoursFactory(
            shop=shop, weekday=weekday, opens=datetime.time(0), closes=datetime.time(23, 59)
        )
    today = timezone.localdate()
    ShopClosure.objects.create(shop=shop, first_day=today, last_day=today)
    shop = Shop.objects.prefetch_related("opening_hours", "closures").get(pk=shop.pk)
    state = shop_opening_state(shop=shop)
    assert not state.is_open and state.next_opening.date() == today + datetime.timedelta(days=1)
    assert all(start.date() != today for start, _end in pickup_slots(shop))


def test_an_invitation_by_email_lets_the_person_join_once(
    client, owner_client, django_capture_on_commit_callbacks
):
    owner_side, shop, _owner = owner_client
    with django_capture_on_commit_callbacks(execute=True):
        owner_side.post(
            reverse("dashboard:team", args=[shop.pk]),
            {"action": "invite", "email": "New.Baker@example.org", "role": "staff"},
        )
    assert mail.outbox[-1].to == ["new.baker@example.org"]
    link = re.search(r"https?://[^/\s]+(/\S+)", mail.outbox[-1].body).group(1)
    stranger = UserFactory(email="someone.else@example.org")
    client.force_login(stranger)
    client.post(link)
    assert not ShopMembership.objects.filter(user=stranger).exists()
    invited = UserFactory(email="new.baker@example.org")
    client.force_login(invited)
    response = client.post(link)
    assert response.url == reverse("dashboard:home", args=[shop.pk])
    assert ShopMembership.objects.get(user=invited).role == "staff"
    client.post(link)  # a second time does nothing more
    assert ShopMembership.objects.filter(user=invited).count() == 1
    assert TeamInvitation.objects.get().accepted_at is not None


def test_owners_change_roles_but_never_leave_the_shop_without_an_owner(owner_client):
    client, shop, owner = owner_client
    staff = ShopMembershipFactory(shop=shop, role="staff")
    url = reverse("dashboard:team", args=[shop.pk])
    own = ShopMembership.objects.get(user=owner)
    client.post(url, {"action": "role", "member": own.pk, "role": "staff"})
    client.post(url, {"action": "remove", "member": own.pk})
    own.refresh_from_db()
    assert own.role == "owner"
    client.post(url, {"action": "role", "member": staff.pk, "role": "owner"})
    staff.refresh_from_db()
    assert staff.role == "owner"
    client.post(url, {"action": "remove", "member": own.pk})
    assert not ShopMembership.objects.filter(pk=own.pk).exists()


def test_staff_and_outsiders_cannot_reach_settings_or_team(client):
    shop = ShopFactory()
    staff = UserFactory()
    ShopMembershipFactory(shop=shop, user=staff, role="staff")
    for person in (staff, UserFactory()):
        client.force_login(person)
        for name in ("dashboard:settings", "dashboard:team"):
            assert client.get(reverse(name, args=[shop.pk])).status_code == 404
            assert (
                client.post(
                    reverse(name, args=[shop.pk]),
                    {"action": "invite", "email": "x@example.org", "role": "owner"},
                ).status_code
                == 404
            )
    assert not TeamInvitation.objects.exists()


def test_the_invitation_form_offers_the_least_privileged_role_first_and_chosen(owner_client):
    client, shop, _owner = owner_client
    html = client.get(reverse("dashboard:team", args=[shop.pk])).content.decode()
    radios = re.findall(r'<input type="radio" name="role"[^>]*>', html)
    roles = [(re.search(r'value="(\w+)"', tag).group(1), " checked" in tag) for tag in radios]
    assert roles == [("staff", True), ("owner", False)]


def test_opening_hours_name_their_empty_choice(owner_client):
    client, shop, _owner = owner_client
    html = client.get(reverse("dashboard:settings", args=[shop.pk])).content.decode()
    assert "---------" not in html
    assert '<option value="" selected>Choose a day</option>' in html
