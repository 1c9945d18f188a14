import secrets

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from .delivery import pickup_slots
from .models import Order
from .payments import available_providers


class AddToCartForm(forms.Form):
    quantity = forms.CharField(label=_("Quantity"), max_length=12, initial="1")


class CartLineForm(forms.Form):
    quantity = forms.CharField(label=_("Quantity"), max_length=12)


class CheckoutForm(forms.Form):
    """Contact, per-shop pickup or delivery, one address, one payment. Prices are never
    fields: the server computes every amount."""

    checkout_token = forms.CharField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Your name"), max_length=120)
    email = forms.EmailField(label=_("Email"), help_text=_("For the confirmation and updates."))
    phone = forms.CharField(
        label=_("Phone"), max_length=40, required=False, help_text=_("For the courier.")
    )
    street = forms.CharField(label=_("Street and number"), max_length=160, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=12, required=False)
    city = forms.CharField(label=_("City"), max_length=80, required=False)
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    notes = forms.CharField(
        label=_("Notes for the shops"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    payment_method = forms.ChoiceField(label=_("Payment"), widget=forms.RadioSelect)
    points = forms.IntegerField(
        label=_("Pay with points"),
        required=False,
        min_value=0,
        help_text=_(
            "1 point = 1 cent. Your points are shared among the shops, in proportion to "
            "their goods."
        ),
    )

    def __init__(self, *args, shops, now=None, points_available=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.shops = shops
        self.points_available = points_available
        self.fields["points"].validators.append(MaxValueValidator(points_available))
        self.fields["points"].widget.attrs.update({"max": points_available, "inputmode": "numeric"})
        now = now or timezone.now()
        if not self.is_bound:
            self.initial.setdefault("checkout_token", secrets.token_urlsafe(24))
        self.fields["payment_method"].choices = [
            (code, provider.label) for code, provider in available_providers().items()
        ]
        if len(self.fields["payment_method"].choices) == 1:
            self.initial.setdefault("payment_method", self.fields["payment_method"].choices[0][0])
        self.slots = {}
        for shop in shops:
            choices = [(Order.Fulfilment.PICKUP, _("Pick up at the shop"))]
            if shop.offers_delivery and shop.delivery_collective_id:
                choices.append((Order.Fulfilment.DELIVERY, _("Same-day delivery by bike")))
            self.fields[f"fulfilment_{shop.pk}"] = forms.ChoiceField(
                label=shop.name,
                choices=choices,
                widget=forms.RadioSelect,
                initial=Order.Fulfilment.PICKUP,
            )
            slots = pickup_slots(shop, now)
            self.slots[shop.pk] = {start.isoformat(): start for start, _end in slots}
            self.fields[f"slot_{shop.pk}"] = forms.ChoiceField(
                label=_("Pickup time"),
                required=False,
                choices=[("", _("Choose a time"))]
                + [
                    (
                        start.isoformat(),
                        formats.date_format(timezone.localtime(start), "D j M, H:i"),
                    )
                    for start, _end in slots
                ],
            )

    def shop_fields(self):
        for shop in self.shops:
            yield shop, self[f"fulfilment_{shop.pk}"], self[f"slot_{shop.pk}"]

    def clean(self):
        data = super().clean()
        wants_delivery = False
        for shop in self.shops:
            fulfilment = data.get(f"fulfilment_{shop.pk}")
            if fulfilment == Order.Fulfilment.PICKUP:
                slot = data.get(f"slot_{shop.pk}")
                if not slot:
                    self.add_error(f"slot_{shop.pk}", _("Choose when you will pick up."))
                else:
                    data[f"slot_{shop.pk}"] = self.slots[shop.pk].get(slot)
            elif fulfilment == Order.Fulfilment.DELIVERY:
                wants_delivery = True
        if wants_delivery:
            for name in ("street", "postcode", "city"):
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("Needed for delivery."))
        data["wants_delivery"] = wants_delivery
        data["points"] = data.get("points") or 0
        return data
