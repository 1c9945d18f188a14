import pytest
from django.urls import reverse

from logistics.models import Collective, Courier
from marketplace.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def courier():
    collective = Collective.objects.create(name="Cargo Riders", slug="cargo-riders")
    return Courier.objects.create(user=UserFactory(), collective=collective)


def test_a_courier_starts_and_ends_a_shift(client, courier):
    client.force_login(courier.user)
    url = reverse("logistics:courier_shift", args=[courier.pk])
    assert client.post(url, {"on_shift": "1"}).status_code == 302
    courier.refresh_from_db()
    assert courier.on_shift
    page = client.get(reverse("logistics:courier_home")).content.decode()
    assert "You are on shift." in page and "End my shift" in page
    client.post(url, {"on_shift": "0"})
    courier.refresh_from_db()
    assert not courier.on_shift


def test_nobody_else_can_change_a_couriers_shift(client, courier):
    url = reverse("logistics:courier_shift", args=[courier.pk])
    assert client.post(url, {"on_shift": "1"}).status_code == 302  # to the login page
    client.force_login(UserFactory())
    assert client.post(url, {"on_shift": "1"}).status_code == 404
    assert client.get(url).status_code == 405
    courier.refresh_from_db()
    assert not courier.on_shift


def test_collective_page_shows_couriers_on_shift_and_unknown_is_404(client, courier):
    courier.on_shift = True
    courier.save()
    page = client.get(reverse("logistics:collective", args=["cargo-riders"]))
    assert page.status_code == 200
    assert page.context["collective"].on_shift_count == 1
    assert client.get(reverse("logistics:collective", args=["nobody"])).status_code == 404
