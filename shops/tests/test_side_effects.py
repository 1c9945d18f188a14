"""Shops' side effects: the team invitation and a deleted photo's files go through the
outbox, once, whatever fails on the way; a search-miss record never breaks a search."""

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.db import DatabaseError
from django.urls import reverse

from marketplace.models import OutboxMessage
from marketplace.tests.factories import UserFactory
from shops import services
from shops.models import TeamInvitation, UnmetSearch

from .factories import ProductFactory, ShopFactory
from .test_views import picture_with_location

pytestmark = pytest.mark.django_db


def invite(shop, email="new@example.org"):
    return services.team_invite(
        shop=shop,
        email=email,
        role="staff",
        invited_by=UserFactory(),
        accept_url=lambda token: f"https://town.example/join/{token}/",
    )


def test_an_invitation_whose_email_failed_stands_and_is_sent_once_on_retry(
    django_capture_on_commit_callbacks, flaky_mail, deliver_again
):
    shop = ShopFactory(name="Hoof & Herb")
    flaky_mail.add(1)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(shop)
    assert TeamInvitation.objects.filter(pk=invitation.pk).exists()
    assert mail.outbox == []
    assert "mail server hiccup" in OutboxMessage.objects.get(topic="shops.team_invited").last_error
    assert deliver_again("shops.team_invited") == ["done"]
    assert deliver_again("shops.team_invited") == ["done"]  # the worker died after sending
    [email] = mail.outbox
    assert email.to == ["new@example.org"] and email.subject.startswith("Join Hoof & Herb")
    assert f"https://town.example/join/{invitation.token}/" in email.body


def test_a_deleted_photos_files_go_after_commit_and_a_failed_delete_is_retried(
    shop, django_capture_on_commit_callbacks, monkeypatch, deliver_again
):
    product = ProductFactory(shop=shop)
    upload = picture_with_location()
    upload.size = len(upload.getvalue())
    with django_capture_on_commit_callbacks(execute=True):
        photo = services.product_photo_add(product=product, upload=upload)
    photo.refresh_from_db()
    files = [photo.image.name, photo.thumbnail.name]
    assert all(default_storage.exists(name) for name in files)

    storage = type(default_storage._wrapped)
    real_delete = storage.delete

    def storage_down(self, name):
        raise OSError("storage unreachable")

    monkeypatch.setattr(storage, "delete", storage_down)
    with django_capture_on_commit_callbacks(execute=True):
        services.product_photo_delete(photo=photo)
    # The deletion is committed although the files could not go yet.
    assert not product.photos.exists()
    assert all(default_storage.exists(name) for name in files)
    monkeypatch.setattr(storage, "delete", real_delete)
    assert deliver_again("shops.photo_deleted") == ["done"]
    assert not any(default_storage.exists(name) for name in files)
    assert deliver_again("shops.photo_deleted") == ["done"]  # nothing left: nothing fails


def test_a_search_miss_that_cannot_be_recorded_still_shows_the_search_page(client, monkeypatch):
    def database_refuses(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(UnmetSearch.objects, "create", database_refuses)
    response = client.get(reverse("search"), {"q": "snowmobile"})
    assert response.status_code == 200
    assert "snowmobile" in response.content.decode()
