"""The demo town's points: a customer with a card, points from earlier purchases at two
shops and one spent at a third, and special offers. Idempotent: ledger keys and offer
titles identify what was loaded before."""

import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .models import LedgerTransaction, Offer
from .services import account_for_shop, account_for_supporter, card_for, ledger_post

OFFERS = [
    (0, "A coffee with any cake", "Show the code at the counter.", 250, None),
    (1, "A jar of local honey", "From the beekeepers up the hill.", 600, 12),
]


@transaction.atomic
def load_loyalty_demo(*, shops, domain: str) -> None:
    customer = get_user_model().objects.filter(email=f"customer@{domain}").first()
    if customer is None or len(shops) < 3:
        return
    card_for(customer)
    history = [
        ("demo-earn-1", shops[0], 480, "Purchases in the summer", 60),
        ("demo-earn-2", shops[1], 730, "Weekly vegetables", 30),
        ("demo-spend-1", shops[2], -300, "A birthday cake", 10),
    ]
    for key, shop, points, memo, days_ago in history:
        if LedgerTransaction.objects.filter(idempotency_key=key).exists():
            continue
        record = ledger_post(
            key=key,
            kind="earn" if points > 0 else "redeem",
            legs=[(account_for_supporter(customer), points), (account_for_shop(shop), -points)],
            memo=memo,
            shop=shop,
        )
        LedgerTransaction.objects.filter(pk=record.pk).update(
            created_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
    for index, title, description, points, remaining in OFFERS:
        Offer.objects.get_or_create(
            shop=shops[index],
            title=title,
            defaults={"description": description, "points_cost": points, "remaining": remaining},
        )
