from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from marketplace.models import TimeStamped
from marketplace.money import money_field
from shops.models import OpeningHours

Weekday = OpeningHours.Weekday


class Collective(TimeStamped):
    """A couriers' cooperative that delivers for the node's shops."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    description = models.TextField(_("description"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    service_radius_km = models.DecimalField(
        _("service radius (km)"), max_digits=5, decimal_places=1, default=5
    )
    # The collective's price rule for customers: base fee plus a price per route kilometre.
    delivery_base_fee = money_field(_("delivery base fee"), max_digits=8, default=Decimal("3.00"))
    delivery_fee_per_km = money_field(
        _("delivery fee per km"), max_digits=8, default=Decimal("0.80")
    )
    # Bulky deliveries cost more: a surcharge by the ride's volume.
    medium_surcharge = money_field(
        _("surcharge over 30 litres"), max_digits=8, default=Decimal("1.50")
    )
    large_surcharge = money_field(
        _("surcharge over 80 litres"), max_digits=8, default=Decimal("4.00")
    )
    # What couriers earn: a base per job plus a rate per kilometre ridden.
    courier_pay_base = money_field(_("courier pay per job"), max_digits=8, default=Decimal("2.50"))
    courier_pay_per_km = money_field(_("courier pay per km"), max_digits=8, default=Decimal("0.70"))
    # Customers choose a delivery window at checkout: service hours cut into windows of this
    # length, each taking at most `window_capacity` rides.
    window_minutes = models.PositiveIntegerField(
        _("delivery window length (minutes)"),
        default=120,
        validators=[MinValueValidator(30), MaxValueValidator(480)],
    )
    window_capacity = models.PositiveIntegerField(
        _("deliveries per window"),
        default=6,
        help_text=_("How many rides the collective takes on in one delivery window."),
    )

    class Meta:
        verbose_name = _("couriers' collective")
        verbose_name_plural = _("couriers' collectives")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("logistics:collective", kwargs={"slug": self.slug})


class ServiceHours(models.Model):
    """One interval on one weekday in which the collective delivers; a day may have several."""

    collective = models.ForeignKey(
        Collective, on_delete=models.CASCADE, related_name="service_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("from"))
    closes = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("service hours")
        verbose_name_plural = _("service hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")),
                name="service_starts_before_it_ends",
            ),
            models.UniqueConstraint(
                fields=["collective", "weekday", "opens"], name="one_service_interval_start"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class DeliveryWindow(models.Model):
    """The places taken in one of a collective's delivery windows: one row per window start,
    made on the first booking. `taken` only moves through conditional updates, so the last
    place goes to one customer; the constraint is the backstop."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="windows")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # The capacity in force when the last place was taken (the collective's may change).
    capacity = models.PositiveIntegerField(_("capacity"))
    taken = models.PositiveIntegerField(_("places taken"), default=0)

    class Meta:
        verbose_name = _("delivery window")
        verbose_name_plural = _("delivery windows")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "starts_at"], name="one_window_per_collective_start"
            ),
            models.CheckConstraint(
                condition=models.Q(taken__lte=models.F("capacity")),
                name="window_not_overbooked",
            ),
        ]

    def __str__(self):
        return f"{self.collective} {self.starts_at:%Y-%m-%d %H:%M}"


class Courier(TimeStamped):
    """A person riding for a collective. Dispatchers also see the collective's board."""

    class Vehicle(models.TextChoices):
        FOOT = "foot", _("On foot")
        BIKE = "bike", _("Bike")
        CARGO_BIKE = "cargo_bike", _("Cargo bike")
        E_CARGO_BIKE = "e_cargo_bike", _("E-cargo bike")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="courier_roles"
    )
    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="couriers")
    vehicle = models.CharField(
        _("vehicle"), max_length=16, choices=Vehicle.choices, default=Vehicle.BIKE
    )
    capacity_kg = models.DecimalField(
        _("capacity (kg)"), max_digits=6, decimal_places=1, default=15
    )
    capacity_litres = models.DecimalField(
        _("capacity (litres)"), max_digits=6, decimal_places=1, default=40
    )
    range_km = models.DecimalField(
        _("range (km)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("For e-cargo bikes: how far one battery charge goes."),
    )
    is_dispatcher = models.BooleanField(_("dispatcher"), default=False)
    on_shift = models.BooleanField(_("on shift"), default=False)

    class Meta:
        verbose_name = _("courier")
        verbose_name_plural = _("couriers")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "collective"], name="one_courier_per_collective"
            ),
            models.CheckConstraint(
                condition=models.Q(capacity_kg__gte=0, capacity_litres__gte=0),
                name="courier_capacity_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["collective", "on_shift"])]

    def __str__(self):
        return f"{self.user} ({self.collective})"


class DeliveryJob(TimeStamped):
    """One ride: collect from one or more shops of a purchase, deliver to one address."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLAIMED = "claimed", _("Claimed")
        PICKED_UP = "picked_up", _("Picked up")
        DELIVERED = "delivered", _("Delivered")
        RETURNED = "returned", _("Returned to shop")
        CANCELLED = "cancelled", _("Cancelled")

    collective = models.ForeignKey(Collective, on_delete=models.PROTECT, related_name="jobs")
    purchase = models.ForeignKey("orders.Purchase", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    courier = models.ForeignKey(
        Courier, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    # Drop-off. Before a courier claims the job only the street (no number) is shown.
    drop_street = models.CharField(max_length=160)
    drop_postcode = models.CharField(max_length=12)
    drop_city = models.CharField(max_length=80)
    drop_latitude = models.FloatField()
    drop_longitude = models.FloatField()
    recipient_name = models.CharField(max_length=120, blank=True)
    recipient_phone = models.CharField(max_length=40, blank=True)
    drop_after = models.DateTimeField(_("deliver after"))
    drop_before = models.DateTimeField(_("deliver before"))
    delivery_code = models.CharField(_("delivery code"), max_length=8)
    weight_kg = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    volume_litres = models.DecimalField(max_digits=7, decimal_places=1, default=0)
    distance_km = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    fee = money_field(max_digits=8)
    courier_pay = money_field(max_digits=8)
    claimed_at = models.DateTimeField(null=True, blank=True)
    picked_up_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    proof_photo = models.ImageField(upload_to="deliveries/%Y/%m/", blank=True)
    proof_note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("delivery job")
        verbose_name_plural = _("delivery jobs")
        ordering = ["drop_before", "pk"]
        indexes = [
            models.Index(fields=["collective", "status", "drop_before"]),
            models.Index(fields=["courier", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", courier__isnull=True) | ~models.Q(status="open"),
                name="open_jobs_have_no_courier",
            ),
        ]

    def __str__(self):
        return f"J{self.pk} → {self.drop_street}"

    @property
    def drop_area(self) -> str:
        """What couriers see before claiming: the street without the house number."""
        words = self.drop_street.split()
        while words and any(ch.isdigit() for ch in words[-1]):
            words.pop()
        return f"{' '.join(words)}, {self.drop_postcode}"


class JobPickup(models.Model):
    """One shop's order collected on a job."""

    job = models.ForeignKey(DeliveryJob, on_delete=models.CASCADE, related_name="pickups")
    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="pickup")
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    picked_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.shop} for {self.job}"


class JobEvent(models.Model):
    job = models.ForeignKey(DeliveryJob, on_delete=models.CASCADE, related_name="events")
    courier = models.ForeignKey(Courier, on_delete=models.SET_NULL, null=True, blank=True)
    to_status = models.CharField(max_length=12)
    note = models.CharField(max_length=300, blank=True)
    happened_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["happened_at", "pk"]

    def __str__(self):
        return f"{self.job} {self.to_status}"
