"""The demo town has presales to look at: an open campaign at the bakery and one in its
redemption period at the grocer where customer@ holds value; loading twice changes nothing."""

import io

import pytest
from django.core.management import call_command

from loyalty import services
from loyalty.models import Campaign, LedgerTransaction, Pledge

pytestmark = pytest.mark.django_db


def test_the_demo_town_has_an_open_campaign_and_one_in_redemption():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    oven = Campaign.objects.get(title="A second sourdough oven")
    assert oven.status == Campaign.Status.OPEN and oven.shop.slug == "lindenfeld-sourdough-bakery"
    assert oven.pledges.filter(status=Pledge.Status.PAID).count() == 4
    assert oven.pledges.filter(status=Pledge.Status.AWAITING_PAYMENT).count() == 1
    cold_room = Campaign.objects.get(title="A cold room for local vegetables")
    assert cold_room.status == Campaign.Status.REDEEMING
    customer = cold_room.pledges.get(supporter__email="customer@lindenfeld.example").supporter
    assert services.presale_account_for_supporter(customer, cold_room).balance == 4500
    assert LedgerTransaction.objects.filter(kind="presale_redeem").count() == 1
    assert services.trial_balance()["balanced"]
