"""On Postgres, twenty counter redemptions of one presale balance at the same moment never
spend more than it holds."""

import pytest

from loyalty import services
from loyalty.exceptions import NotEnoughValue
from loyalty.models import LedgerTransaction
from loyalty.presales import services as presales
from marketplace.tests.concurrency import run_together

from .factories import campaign, holding, paid_pledge, redeeming

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_twenty_redemptions_of_one_presale_balance(round_):
    # Given a supporter holding 50 € of presale value in a campaign in redemption
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="50.00")
    redeeming(oven)
    # When twenty counters redeem 7 € each at the same moment
    results = run_together(
        20,
        lambda i: presales.presale_redeem(
            shop=oven.shop,
            user=pledge.supporter,
            campaign_id=oven.pk,
            amount_cents=700,
            key=f"race-{round_}-{i}",
            actor=None,
        ),
    )
    # Then exactly seven succeed (49 €), thirteen are refused, and 1 € remains
    spent = [r for r in results if isinstance(r, LedgerTransaction)]
    refused = [r for r in results if isinstance(r, NotEnoughValue)]
    assert len(spent) == 7 and len(refused) == 13, results
    assert holding(pledge.supporter, oven) == 100
    assert LedgerTransaction.objects.filter(kind="presale_redeem").count() == 7
    assert services.presale_liability(oven).balance == -100
    assert services.trial_balance()["balanced"]


def test_the_same_redemption_sent_by_twenty_threads_posts_once():
    oven = campaign(target="10.00")
    pledge = paid_pledge(oven, amount="50.00")
    redeeming(oven)
    results = run_together(
        20,
        lambda i: presales.presale_redeem(
            shop=oven.shop,
            user=pledge.supporter,
            campaign_id=oven.pk,
            amount_cents=1000,
            key="one-counter-form",
            actor=None,
        ),
    )
    assert all(isinstance(r, LedgerTransaction) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert holding(pledge.supporter, oven) == 4000
