"""On Postgres, twenty redemptions of the same balance at once never spend more than it has."""

import threading

import pytest
from django.db import connection

from loyalty import services
from loyalty.exceptions import NotEnoughPoints
from loyalty.models import LedgerTransaction
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
    barrier = threading.Barrier(20)
    results = [None] * 20

    def redeem(i):
        try:
            barrier.wait()
            results[i] = services.points_redeem(
                user=user, shop=shop, points=100, key=f"redeem-{round_}-{i}"
            )
        except Exception as error:  # noqa: BLE001 - each thread's answer is inspected
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    spent = [r for r in results if isinstance(r, LedgerTransaction)]
    refused = [r for r in results if isinstance(r, NotEnoughPoints)]
    assert len(spent) == 5 and len(refused) == 15, results
    assert services.account_for_supporter(user).balance == 0
    assert services.trial_balance()["balanced"]
