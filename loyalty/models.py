"""The network's ledger: every movement of points and presale value is a balanced
transaction of entries between accounts. Entries are never changed; corrections are new
transactions. Balances are cached on accounts, updated in the same transaction under a row
lock, and can always be recomputed from the entries."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace.models import TimeStamped
from marketplace.money import money_field, money_from_cents


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


class SupporterCard(TimeStamped):
    """The supporter's card: its number is typed or scanned (QR) at any member shop's
    counter. The level is recalculated nightly and whenever points are earned."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supporter_card"
    )
    # Twelve digits, the last a Luhn check digit, so a mistyped number is caught at once.
    number = models.CharField(_("card number"), max_length=12, unique=True)
    level = models.ForeignKey(
        Level, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    level_checked_at = models.DateTimeField(null=True, blank=True)
    # When the supporter was last told that points are about to expire (one reminder a month).
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("supporter card")
        verbose_name_plural = _("supporter cards")

    def __str__(self):
        return self.display_number

    @property
    def display_number(self) -> str:
        return " ".join(self.number[i : i + 4] for i in range(0, len(self.number), 4))


class Account(models.Model):
    """One account of the ledger. Points and presale value are both counted in cents of the
    node's currency (1 point = 1 cent), and every transaction balances per unit."""

    class Kind(models.TextChoices):
        SUPPORTER_POINTS = "supporter_points", _("Supporter's points")
        SHOP_POINTS = "shop_points", _("Shop's points account")
        NETWORK = "network", _("Network pool")
        EXPIRED = "expired", _("Expired points")
        SUPPORTER_PRESALE = "supporter_presale", _("Supporter's presale value")
        SHOP_PRESALE = "shop_presale", _("Shop's presale liability")

    # Which unit an account counts: a transaction's legs balance within each unit.
    POINTS_KINDS = frozenset({"supporter_points", "shop_points", "network", "expired"})
    SUPPORTER_KINDS = frozenset({"supporter_points", "supporter_presale"})

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
    campaign = models.ForeignKey(
        "loyalty.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    balance = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "user"],
                condition=Q(user__isnull=False, campaign__isnull=True),
                name="one_account_per_supporter_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "shop"],
                condition=Q(shop__isnull=False, campaign__isnull=True),
                name="one_account_per_shop_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "user", "campaign"],
                condition=Q(user__isnull=False, campaign__isnull=False),
                name="one_presale_account_per_supporter_campaign",
            ),
            models.UniqueConstraint(
                fields=["kind", "campaign"],
                condition=Q(user__isnull=True, campaign__isnull=False),
                name="one_presale_liability_per_campaign",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind__in=["network", "expired"]),
                name="one_network_account_per_kind",
            ),
            # A supporter can never hold less than nothing.
            models.CheckConstraint(
                condition=~Q(kind__in=["supporter_points", "supporter_presale"])
                | Q(balance__gte=0),
                name="supporter_balance_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.user or self.shop or self.campaign or '—'}"


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        EARN = "earn", _("Earned")
        REDEEM = "redeem", _("Spent")
        REVERSAL = "reversal", _("Taken back (refund)")
        RETURN = "return", _("Given back (order not completed)")
        OFFER = "offer", _("Special offer")
        EXPIRY = "expiry", _("Expired")
        SETTLEMENT = "settlement", _("Monthly settlement")
        PLEDGE = "pledge", _("Presale pledge")
        PLEDGE_REFUND = "pledge_refund", _("Presale refunded")
        PRESALE_REDEEM = "presale_redeem", _("Presale value redeemed")
        CORRECTION = "correction", _("Correction")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # One business event, one key: a repeated call finds the transaction already there.
    idempotency_key = models.CharField(max_length=120, unique=True)
    memo = models.CharField(max_length=200, blank=True)
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pledge = models.ForeignKey(
        "loyalty.Pledge", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who made it happen at a counter (a shop member), when someone did.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "created_at"])]

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


class Settlement(models.Model):
    """One month's settlement between shops: points a shop issued are owed to the network,
    points spent at a shop are owed to it; each shop's net is paid once a month."""

    month = models.DateField(_("month"), unique=True)
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-month"]

    def __str__(self):
        return self.month.strftime("%Y-%m")


class SettlementLine(models.Model):
    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="lines")
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    # Cents: the value of points the shop issued, the value spent at the shop, and what the
    # shop receives (positive) or pays (negative).
    issued = models.BigIntegerField(default=0)
    redeemed = models.BigIntegerField(default=0)
    net = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["settlement", "shop"], name="one_line_per_shop"),
        ]
        indexes = [models.Index(fields=["shop", "settlement"])]

    def __str__(self):
        return f"{self.settlement} {self.shop_id}: {self.net:+d}"


class Offer(TimeStamped):
    """A special offer a shop publishes for points (a free coffee for 300 points)."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="offers")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    points_cost = models.PositiveIntegerField(_("points"))
    # None: as many as supporters want.
    remaining = models.PositiveIntegerField(_("still available"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("special offer")
        verbose_name_plural = _("special offers")
        ordering = ["points_cost", "pk"]
        indexes = [models.Index(fields=["is_active", "valid_until"])]
        constraints = [
            models.CheckConstraint(condition=Q(points_cost__gt=0), name="offer_costs_points"),
        ]

    def __str__(self):
        return self.title


class OfferClaim(TimeStamped):
    """A supporter's claimed offer: shown at the shop's counter by its code, used once."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="claims")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offer_claims"
    )
    code = models.CharField(_("code"), max_length=8, unique=True)
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="+"
    )
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]


class Campaign(TimeStamped):
    """A presale: supporters pay a shop now and get goods or services of equal value later.
    An interest-free loan to the shop, not a donation."""

    class Reward(models.TextChoices):
        STORE_CREDIT = "store_credit", _("Store credit")
        PRODUCT = "product", _("A specific product")
        PRODUCT_LIST = "product_list", _("A list of products")
        SUBSCRIPTION = "subscription", _("A subscription")

    class IfMissed(models.TextChoices):
        REFUND = "refund", _("Everyone gets their money back")
        KEEP = "keep", _("The shop keeps the money and honours every pledge")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for pledges")
        FUNDED = "funded", _("Funded")
        MISSED_KEPT = "missed_kept", _("Target missed, pledges honoured")
        MISSED_REFUNDED = "missed_refunded", _("Target missed, refunded")
        REDEEMING = "redeeming", _("Redemption open")
        ENDED = "ended", _("Ended")
        CANCELLED = "cancelled", _("Cancelled")

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="campaigns")
    title = models.CharField(_("title"), max_length=140)
    purpose = models.TextField(_("what the money is for"))
    target = money_field(_("target amount"))
    raised = money_field(_("raised"), default=0)
    deadline = models.DateTimeField(_("pledges until"))
    reward = models.CharField(_("reward"), max_length=16, choices=Reward.choices)
    reward_description = models.TextField(_("what supporters receive"), blank=True)
    products = models.ManyToManyField("shops.Product", blank=True, related_name="+")
    redemption_opens_on = models.DateField(_("redemption opens on"))
    redemption_ends_on = models.DateField(_("redemption ends on"))
    if_missed = models.CharField(
        _("if the target is missed"), max_length=8, choices=IfMissed.choices
    )
    accepts_points = models.BooleanField(_("supporters may pay part with points"), default=False)
    min_pledge = money_field(_("smallest pledge"), default=5)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )

    class Meta:
        verbose_name = _("presale campaign")
        verbose_name_plural = _("presale campaigns")
        ordering = ["deadline", "pk"]
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["shop", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(target__gt=0), name="campaign_target_positive"),
            models.CheckConstraint(
                condition=Q(redemption_ends_on__gt=models.F("redemption_opens_on")),
                name="campaign_redemption_ends_after_it_opens",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def progress_percent(self) -> int:
        return min(100, int(100 * self.raised.amount / self.target.amount))


class CampaignEvent(models.Model):
    """One step of a campaign's life (published, closed, redemption opened, ...); the shop
    and its supporters see these rows as the campaign's timeline."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, choices=Campaign.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("campaign event")
        verbose_name_plural = _("campaign events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["campaign", "created_at"])]

    def __str__(self):
        return f"{self.from_status or '-'} → {self.to_status}"


class Pledge(TimeStamped):
    """A supporter's pledge to a campaign. Its value lives in the ledger (the supporter's
    presale account for the campaign) from the moment it is paid."""

    class PaymentMethod(models.TextChoices):
        CARD = "card", _("Card")
        AT_SHOP = "at_shop", _("At the shop")

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="pledges")
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pledges"
    )
    # The value the supporter receives; `points_used` of it paid with points, the rest money.
    amount = money_field(_("amount"))
    points_used = models.PositiveIntegerField(_("points used"), default=0)
    payment_method = models.CharField(_("payment"), max_length=10, choices=PaymentMethod.choices)
    payment_reference = models.CharField(max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.AWAITING_PAYMENT
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # One pledge form, one pledge: a form submitted twice finds the first.
    token = models.CharField(max_length=64, unique=True)
    # Stripe: where the supporter pays, and the payment to refund from.
    checkout_url = models.URLField(max_length=500, blank=True)
    provider_payment_id = models.CharField(max_length=120, blank=True)
    # Why a pledge was cancelled or refunded, in words the supporter reads.
    status_note = models.CharField(max_length=300, blank=True)
    refunded_at = models.DateTimeField(_("refunded"), null=True, blank=True)
    # When the money part went back: the card refund, or cash handed back at the counter.
    money_returned_at = models.DateTimeField(_("money returned"), null=True, blank=True)
    # When the reminder before redemption ends was published (with this mark, in one
    # transaction; the outbox sends it): once per supporter and campaign.
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["supporter", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pledge_amount_positive"),
        ]

    @property
    def money_part(self):
        """What the supporter pays in money: the amount less the points' value."""
        return self.amount - money_from_cents(self.points_used)

    def __str__(self):
        return f"{self.supporter} → {self.campaign}"
