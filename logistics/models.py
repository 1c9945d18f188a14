from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from marketplace.models import TimeStamped


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
    delivery_base_fee = MoneyField(
        _("delivery base fee"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("3.00"),
        default_currency=settings.DEFAULT_CURRENCY,
    )
    delivery_fee_per_km = MoneyField(
        _("delivery fee per km"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.80"),
        default_currency=settings.DEFAULT_CURRENCY,
    )

    class Meta:
        verbose_name = _("couriers' collective")
        verbose_name_plural = _("couriers' collectives")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("logistics:collective", kwargs={"slug": self.slug})


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
