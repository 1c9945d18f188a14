"""The network's ledger: every movement of points (and later presale value) is a balanced
transaction of entries between accounts. Entries are never changed; corrections are new
transactions. Balances are cached on accounts, updated in the same transaction under a row
lock, and can always be recomputed from the entries."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.Model):
    """A supporter level: reached by points earned in the last twelve months."""

    name = models.CharField(_("name"), max_length=60)
    threshold = models.PositiveIntegerField(_("points earned in 12 months"), unique=True)
    rate_percent = models.DecimalField(
        _("points per euro spent (%)"), max_digits=4, decimal_places=2
    )

    class Meta:
        verbose_name = _("supporter level")
        verbose_name_plural = _("supporter levels")
        ordering = ["threshold"]

    def __str__(self):
        return self.name


class Account(models.Model):
    class Kind(models.TextChoices):
        SUPPORTER_POINTS = "supporter_points", _("Supporter's points")
        SHOP_POINTS = "shop_points", _("Shop's points account")
        NETWORK = "network", _("Network pool")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Points are whole numbers (1 point = 1 cent of value).
    balance = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "user"],
                condition=Q(user__isnull=False),
                name="one_account_per_supporter_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "shop"],
                condition=Q(shop__isnull=False),
                name="one_account_per_shop_kind",
            ),
            # A supporter can never hold fewer than zero points.
            models.CheckConstraint(
                condition=~Q(kind="supporter_points") | Q(balance__gte=0),
                name="supporter_balance_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.user or self.shop or 'network'}"


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Spent")
        REVERSAL = "reversal", _("Taken back (refund)")
        CORRECTION = "correction", _("Correction")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    # One business event, one key: a repeated call finds the transaction already there.
    idempotency_key = models.CharField(max_length=120, unique=True)
    memo = models.CharField(max_length=200, blank=True)
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.idempotency_key


class Entry(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["account", "transaction"])]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="entry_not_zero")]

    def __str__(self):
        return f"{self.account}: {self.amount:+d}"
