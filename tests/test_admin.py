"""Operators use Django's admin for platform data: every registered model's list, add and
change pages open on the demo town without an error."""

import os

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from marketplace.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_admin_page_opens_for_an_operator(client):
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    failures = []
    for model in admin.site._registry:
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        pages = [changelist]
        first = model.objects.order_by("pk").first()
        if first is not None:
            pages.append(
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk])
            )
        for url in pages:
            status = client.get(url).status_code
            if status != 200:
                failures.append(f"{url}: {status}")
    assert not failures, failures
