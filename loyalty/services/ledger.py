"""The ledger's one write path. Every movement of points or presale value goes through
ledger_post: balanced per unit, idempotent by key, accounts locked in primary-key order,
no supporter ever below zero."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ..exceptions import LedgerRefused, NotEnoughPoints, NotEnoughValue
from ..models import Account, Entry, LedgerTransaction

Leg = tuple[Account, int]


def account_for_supporter(user) -> Account:
    return Account.objects.get_or_create(kind=Account.Kind.SUPPORTER_POINTS, user=user)[0]


def account_for_shop(shop) -> Account:
    return Account.objects.get_or_create(kind=Account.Kind.SHOP_POINTS, shop=shop)[0]


def network_account(kind: str = Account.Kind.NETWORK) -> Account:
    return Account.objects.get_or_create(kind=kind)[0]


def presale_account_for_supporter(user, campaign) -> Account:
    return Account.objects.get_or_create(
        kind=Account.Kind.SUPPORTER_PRESALE, user=user, campaign=campaign
    )[0]


def presale_liability(campaign) -> Account:
    return Account.objects.get_or_create(
        kind=Account.Kind.SHOP_PRESALE, campaign=campaign, defaults={"shop": campaign.shop}
    )[0]


def _check_balanced(legs: list[Leg]) -> None:
    points = sum(a for account, a in legs if account.kind in Account.POINTS_KINDS)
    value = sum(a for account, a in legs if account.kind not in Account.POINTS_KINDS)
    if not legs or points != 0 or value != 0:
        raise LedgerRefused(_("A ledger transaction must balance."))


def ledger_post(*, key: str, kind: str, legs: list[Leg], **details) -> LedgerTransaction:
    """Post one balanced transaction and return it (see ledger_post_or_get)."""
    return ledger_post_or_get(key=key, kind=kind, legs=legs, **details)[0]


def ledger_post_or_get(
    *,
    key: str,
    kind: str,
    legs: list[Leg],
    memo: str = "",
    shop=None,
    order=None,
    pledge=None,
    actor=None,
) -> tuple[LedgerTransaction, bool]:
    """Post one balanced transaction; returns it and whether this call posted it. A key
    already posted returns the existing transaction and False, and writes nothing, so a
    caller announces a movement only once however often its form is sent.

    Locks the accounts involved in primary-key order (so concurrent posts never deadlock),
    checks that no supporter account goes below zero under those locks, writes the entries
    and updates the cached balances in the same transaction. Raises LedgerRefused for an
    unbalanced or empty transaction, NotEnoughPoints / NotEnoughValue when a supporter would
    go below zero; then nothing is written."""
    legs = [(account, int(amount)) for account, amount in legs if int(amount) != 0]
    _check_balanced(legs)
    existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            ids = sorted({account.pk for account, _amount in legs})
            locked = {
                a.pk: a
                for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
            }
            # Re-check under the locks: a concurrent post of the same key may have won.
            existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
            if existing:
                return existing, False
            change: dict[int, int] = {}
            for account, amount in legs:
                change[account.pk] = change.get(account.pk, 0) + amount
            for pk, delta in change.items():
                account = locked[pk]
                if account.kind in Account.SUPPORTER_KINDS and account.balance + delta < 0:
                    if account.kind == Account.Kind.SUPPORTER_POINTS:
                        raise NotEnoughPoints()
                    raise NotEnoughValue()
            record = LedgerTransaction.objects.create(
                idempotency_key=key,
                kind=kind,
                memo=str(memo)[:200],
                shop=shop,
                order=order,
                pledge=pledge,
                actor=actor,
            )
            Entry.objects.bulk_create(
                Entry(transaction=record, account_id=account.pk, amount=amount)
                for account, amount in legs
            )
            for pk, delta in change.items():
                Account.objects.filter(pk=pk).update(balance=F("balance") + delta)
            return record, True
    except IntegrityError:
        # The same key posted concurrently: the first one stands.
        existing = LedgerTransaction.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return existing, False


def lock_accounts(*accounts: Account) -> dict[int, Account]:
    """Lock accounts in primary-key order (the order ledger_post locks in, so nothing
    deadlocks) until the caller's transaction ends; returns them fresh, by pk."""
    ids = sorted({account.pk for account in accounts})
    return {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
