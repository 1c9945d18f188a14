"""Carts, purchases (one checkout, one payment) and the orders they make, one per shop."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketplace.models import TimeStamped
from marketplace.money import money_field


class Cart(TimeStamped):
    """A person's cart, or a visitor's (by session) until they log in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="cart",
    )
    session_key = models.CharField(max_length=40, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(session_key__isnull=False),
                name="cart_has_an_owner",
            ),
        ]

    def __str__(self):
        return f"cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("shops.Product", on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=3)
    # The price the customer saw when adding, to tell them if it changed since.
    price_when_added = money_field(_("price when added"))
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="one_line_per_product"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cart_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_id}"


class Purchase(TimeStamped):
    """One checkout: what the customer paid once for, across every shop's order."""

    class PaymentMethod(models.TextChoices):
        CARD = "card", _("Card")
        ON_COLLECTION = "on_collection", _("Pay at pickup or on delivery")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="purchases",
    )
    # The checkout form's one-time token: the same checkout submitted twice is one purchase.
    checkout_token = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    payment_method = models.CharField(_("payment"), max_length=20, choices=PaymentMethod.choices)
    total = money_field(_("total"))

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-created_at"]

    def __str__(self):
        return f"P{self.pk:06d}" if self.pk else "purchase"

    def get_absolute_url(self):
        return reverse("orders:purchase_detail", kwargs={"purchase_id": self.pk})


class Order(TimeStamped):
    """What one shop has to prepare for one purchase."""

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
        PLACED = "placed", _("Placed")
        ACCEPTED = "accepted", _("Accepted")
        READY = "ready", _("Ready")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        COLLECTED = "collected", _("Collected")
        DELIVERED = "delivered", _("Delivered")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    class Fulfilment(models.TextChoices):
        PICKUP = "pickup", _("Pickup at the shop")
        DELIVERY = "delivery", _("Same-day delivery")

    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="orders")
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLACED
    )
    fulfilment = models.CharField(_("fulfilment"), max_length=10, choices=Fulfilment.choices)
    pickup_from = models.DateTimeField(_("pickup from"), null=True, blank=True)
    pickup_until = models.DateTimeField(_("pickup until"), null=True, blank=True)
    delivery_street = models.CharField(_("street and number"), max_length=160, blank=True)
    delivery_postcode = models.CharField(_("postcode"), max_length=12, blank=True)
    delivery_city = models.CharField(_("city"), max_length=80, blank=True)
    delivery_latitude = models.FloatField(null=True, blank=True)
    delivery_longitude = models.FloatField(null=True, blank=True)
    # The delivery window the customer chose; shops delivering with the same collective in
    # one purchase share it (one ride, one place in the window).
    delivery_from = models.DateTimeField(_("deliver from"), null=True, blank=True)
    delivery_until = models.DateTimeField(_("deliver until"), null=True, blank=True)
    delivery_window = models.ForeignKey(
        "logistics.DeliveryWindow",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        editable=False,
    )
    subtotal = money_field(_("goods"))
    vat_included = money_field(_("VAT included"))
    delivery_fee = money_field(_("delivery fee"), default=Decimal("0"))
    platform_fee_percent = models.DecimalField(
        _("platform fee (%)"), max_digits=5, decimal_places=2
    )
    platform_fee = money_field(_("platform fee"))
    # The members' vote that set the fee; empty for the node's starting fee.
    fee_decision = models.ForeignKey(
        "governance.Proposal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("fee decided by"),
    )
    # Community points the customer spent on this order, and the discount they gave.
    points_redeemed = models.PositiveIntegerField(_("points spent"), default=0)
    points_discount = money_field(_("points discount"), default=Decimal("0"))
    total = money_field(_("total"))
    pickup_code = models.CharField(_("pickup code"), max_length=8)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["purchase", "shop"], name="one_order_per_shop"),
            models.CheckConstraint(
                condition=Q(fulfilment="pickup", pickup_from__isnull=False)
                | Q(fulfilment="delivery", delivery_latitude__isnull=False),
                name="order_has_pickup_slot_or_address",
            ),
            models.CheckConstraint(
                condition=Q(delivery_from__isnull=True, delivery_until__isnull=True)
                | Q(delivery_until__gt=models.F("delivery_from")),
                name="delivery_window_ends_after_it_starts",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "status", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["pickup_code", "status"]),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"{self.purchase_id:06d}-{self.shop_id}"

    @staticmethod
    def new_pickup_code() -> str:
        # Six characters without look-alikes (0/O, 1/I/L), easy to read out at a counter.
        alphabet = "ACDEFGHJKMNPQRTUVWXY346789"
        return "".join(secrets.choice(alphabet) for _ in range(6))

    def get_absolute_url(self):
        return reverse("orders:purchase_detail", kwargs={"purchase_id": self.purchase_id})


class OrderLine(models.Model):
    """A product as it was sold: title, price and VAT copied, so later edits change nothing."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "shops.Product", on_delete=models.SET_NULL, null=True, related_name="order_lines"
    )
    title = models.CharField(_("title"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=64)
    unit = models.CharField(_("unit"), max_length=8)
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=3)
    unit_price = money_field(_("unit price"))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=4, decimal_places=2)
    line_total = money_field(_("line total"))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.title}"


class OrderEvent(models.Model):
    """One step of an order's timeline; the customer and the shop see these rows."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=Order.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"])]

    def __str__(self):
        return f"{self.from_status or '-'} → {self.to_status}"


class Payment(TimeStamped):
    """Money for a purchase through one provider. Completed payments are never edited
    back; a refund is its own row."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Paid")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")

    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=30)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    amount = money_field(_("amount"))
    provider_reference = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # What refunds name at the provider (Stripe: the payment intent).
    provider_payment_id = models.CharField(max_length=255, blank=True)
    redirect_url = models.URLField(max_length=2000, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["created_at", "pk"]
        constraints = [
            # At most one card payment in flight or done per purchase.
            models.UniqueConstraint(
                fields=["purchase", "provider"],
                condition=Q(status__in=["pending", "succeeded"]),
                name="one_live_payment_per_provider",
            ),
        ]


class WebhookEvent(models.Model):
    """Provider events already handled: a replayed or re-sent event changes nothing."""

    provider = models.CharField(max_length=30)
    event_id = models.CharField(max_length=255)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="one_row_per_event"),
        ]

    def __str__(self):
        return f"{self.provider}:{self.event_id}"
