"""On Postgres, twenty redemptions of the same balance at once never spend more than it has."""

import pytest

from loyalty import services
from loyalty.exceptions import NotEnoughPoints
from loyalty.models import LedgerTransaction
from marketplace.tests.concurrency import run_together
from marketplace.tests.factories import UserFactory
from shops.tests.factories import ShopFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_twenty_redemptions_of_one_balance(round_):
    user, shop = UserFactory(), ShopFactory()
    services.ledger_post(
        key=f"start-{round_}",
        kind="earn",
        legs=[(services.account_for_supporter(user), 500), (services.account_for_shop(shop), -500)],
    )
    results = run_together(
        20,
        lambda i: services.points_redeem(
            user=user, shop=shop, points=100, key=f"redeem-{round_}-{i}"
        ),
    )
    spent = [r for r in results if isinstance(r, LedgerTransaction)]
    refused = [r for r in results if isinstance(r, NotEnoughPoints)]
    assert len(spent) == 5 and len(refused) == 15, results
    assert services.account_for_supporter(user).balance == 0
    assert services.trial_balance()["balanced"]
