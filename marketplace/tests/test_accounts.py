"""Accounts: sign-up with a verified email, login, password reset and the profile."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from governance.models import Member
from logistics.models import Collective, Courier
from shops.tests.factories import ShopFactory, ShopMembershipFactory

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_sign_up_verify_the_email_then_log_in(client, django_user_model):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "new@example.org" in mail.outbox[0].to
    # Until the address is confirmed, logging in only re-sends the confirmation.
    client.logout()
    client.post(reverse("account_login"), {"login": "new@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    confirm = link_in(mail.outbox[0])
    client.post(confirm)
    response = client.post(
        reverse("account_login"), {"login": "new@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    user = django_user_model.objects.get(email="new@example.org")
    assert int(client.session["_auth_user_id"]) == user.pk


def test_signing_up_with_a_taken_email_creates_nothing_and_tells_only_its_owner(
    client, django_user_model
):
    UserFactory(email="taken@example.org")
    client.post(
        reverse("account_signup"),
        {"email": "taken@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    # The page does not reveal that the address is registered; its owner gets an email.
    assert django_user_model.objects.filter(email="taken@example.org").count() == 1
    assert [message.to for message in mail.outbox] == [["taken@example.org"]]
    assert "already" in mail.outbox[0].body


def test_sign_up_refuses_a_weak_password_with_a_message(client, django_user_model):
    weak = client.post(
        reverse("account_signup"),
        {"email": "weak@example.org", "password1": "1234", "password2": "1234"},
    )
    assert weak.status_code == 200 and "too short" in weak.content.decode()
    assert not django_user_model.objects.filter(email="weak@example.org").exists()
    assert len(mail.outbox) == 0


def test_password_reset_by_email(client):
    user = UserFactory(email="forgetful@example.org")
    client.post(reverse("account_reset_password"), {"email": "forgetful@example.org"})
    assert len(mail.outbox) == 1
    reset_page = client.get(link_in(mail.outbox[0]), follow=True)
    form_url = reset_page.redirect_chain[-1][0] if reset_page.redirect_chain else None
    assert form_url
    client.post(form_url, {"password1": "brand-new-secret-77", "password2": "brand-new-secret-77"})
    user.refresh_from_db()
    assert user.check_password("brand-new-secret-77")


def test_logout_ends_the_session(client):
    client.force_login(UserFactory())
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def test_profile_needs_login_and_saves_changes(client):
    assert client.get(reverse("marketplace:profile")).status_code == 302
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("marketplace:profile"),
        {"display_name": "  Kim  ", "first_name": "Kim", "last_name": "Lee", "phone": "0301"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.phone) == ("Kim", "0301")


def test_one_person_can_be_customer_shop_member_courier_and_member_at_once(client):
    user = UserFactory()
    shop = ShopFactory(name="Corner Bakery")
    ShopMembershipFactory(shop=shop, user=user, role="owner")
    ShopMembershipFactory(shop=ShopFactory(name="Bike Shop"), user=user, role="staff")
    collective = Collective.objects.create(name="Cargo Riders", slug="cargo-riders")
    Courier.objects.create(user=user, collective=collective)
    Member.objects.create(kind=Member.Kind.SHOP, shop=shop, joined_on="2026-01-01")
    client.force_login(user)
    body = client.get(reverse("marketplace:profile")).content.decode()
    assert "Works at Corner Bakery" in body and "Works at Bike Shop" in body
    assert "Rides for Cargo Riders" in body
    assert "Cooperative member through Corner Bakery" in body
    # The navigation offers the courier's part of the site.
    assert reverse("logistics:courier_home") in body
