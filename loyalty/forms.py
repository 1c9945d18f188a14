"""Input shapes of the loyalty pages; amounts are checked again by the services."""

import secrets
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Offer


def new_form_key() -> str:
    """A fresh key per rendered form: submitting the same form twice counts once."""
    return secrets.token_urlsafe(18)


class CardLookupForm(forms.Form):
    card = forms.CharField(
        label=_("Card number"),
        max_length=200,
        help_text=_("The 12 digits under the QR code, or scan it."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class KeyedForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=40)
    card = forms.CharField(widget=forms.HiddenInput, max_length=200)


class CounterAwardForm(KeyedForm):
    amount = forms.DecimalField(
        label=_("Purchase amount"),
        min_value=Decimal("0.01"),
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = _("Purchase amount (%(currency)s)") % {
            "currency": settings.DEFAULT_CURRENCY
        }


class CounterRedeemForm(KeyedForm):
    points = forms.IntegerField(
        label=_("Points to spend"),
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class OfferCodeForm(forms.Form):
    code = forms.CharField(label=_("Offer code"), max_length=8)


class OfferForm(forms.ModelForm):
    class Meta:
        model = Offer
        fields = ["title", "description", "points_cost", "remaining", "valid_until", "is_active"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "points_cost": _("1 point = 1 cent of value; the network settles it monthly."),
            "remaining": _("Leave empty for no limit."),
        }

    def clean_points_cost(self):
        points = self.cleaned_data["points_cost"]
        if not points or points < 1:
            raise forms.ValidationError(_("An offer costs at least 1 point."))
        return points
