"""Input shapes of the presale pages; the services check the terms and amounts again."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from djmoney.money import Money

from ..forms import new_form_key
from ..models import Campaign, Pledge


def _amount_field(label, **kwargs):
    return forms.DecimalField(
        label=label,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


class CampaignForm(forms.Form):
    """A campaign's terms, as supporters will read them before pledging."""

    title = forms.CharField(label=_("Title"), max_length=140)
    purpose = forms.CharField(
        label=_("What the money is for"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Tell supporters what you will do with it: the new oven, the stock for "
            "winter, the rent until the summer."
        ),
    )
    target_amount = _amount_field(_("Target"), min_value=Decimal("1"))
    min_pledge_amount = _amount_field(
        _("Smallest pledge"), min_value=Decimal("0.01"), initial=Decimal("5")
    )
    deadline = forms.DateTimeField(
        label=_("Pledges until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reward = forms.ChoiceField(label=_("Supporters receive"), choices=Campaign.Reward.choices)
    reward_description = forms.CharField(
        label=_("In detail"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: a loaf of sourdough every week for the value pledged."),
    )
    products = forms.ModelMultipleChoiceField(
        label=_("Products (for a specific product or a list)"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_(
            "Choose one, or several for a list (Ctrl or ⌘ on a computer). "
            "Shown on the campaign page."
        ),
    )
    redemption_opens_on = forms.DateField(
        label=_("Redemption opens on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    redemption_ends_on = forms.DateField(
        label=_("Redemption ends on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "Value not redeemed by this day can no longer be redeemed; supporters are "
            "reminded before."
        ),
    )
    if_missed = forms.ChoiceField(
        label=_("If the target is missed"),
        choices=Campaign.IfMissed.choices,
        widget=forms.RadioSelect,
        help_text=_("Shown to supporters before they pledge; it cannot change later."),
    )
    accepts_points = forms.BooleanField(
        label=_("Supporters may pay part with their points"), required=False
    )

    def __init__(self, *args, shop, campaign: Campaign | None = None, **kwargs):
        if campaign is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": campaign.title,
                "purpose": campaign.purpose,
                "target_amount": campaign.target.amount,
                "min_pledge_amount": campaign.min_pledge.amount,
                "deadline": timezone.localtime(campaign.deadline),
                "reward": campaign.reward,
                "reward_description": campaign.reward_description,
                "redemption_opens_on": campaign.redemption_opens_on,
                "redemption_ends_on": campaign.redemption_ends_on,
                "if_missed": campaign.if_missed,
                "accepts_points": campaign.accepts_points,
                "products": list(campaign.products.values_list("pk", flat=True)),
            }
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = shop.products.filter(is_active=True).order_by("title")
        currency = settings.DEFAULT_CURRENCY
        self.fields["target_amount"].label = _("Target (%(currency)s)") % {"currency": currency}
        self.fields["min_pledge_amount"].label = _("Smallest pledge (%(currency)s)") % {
            "currency": currency
        }

    def clean(self):
        data = super().clean()
        reward = data.get("reward")
        products = data.get("products")
        describes = data.get("reward_description") or (
            products and reward in (Campaign.Reward.PRODUCT, Campaign.Reward.PRODUCT_LIST)
        )
        if reward and reward != Campaign.Reward.STORE_CREDIT and not describes:
            self.add_error(
                "reward_description", _("Say which products or what subscription, or choose them.")
            )
        if reward == Campaign.Reward.PRODUCT and products and len(products) > 1:
            self.add_error("products", _("Choose one product, or “A list of products”."))
        return data

    def terms(self) -> dict:
        """The cleaned terms in the shape the services take."""
        data = self.cleaned_data
        currency = settings.DEFAULT_CURRENCY
        return {
            "title": data["title"],
            "purpose": data["purpose"],
            "target": Money(data["target_amount"], currency),
            "min_pledge": Money(data["min_pledge_amount"], currency),
            "deadline": data["deadline"],
            "reward": data["reward"],
            "reward_description": data["reward_description"],
            "redemption_opens_on": data["redemption_opens_on"],
            "redemption_ends_on": data["redemption_ends_on"],
            "if_missed": data["if_missed"],
            "accepts_points": data["accepts_points"],
            "products": list(data.get("products") or []),
        }


class PledgeForm(forms.Form):
    amount = _amount_field(_("Your pledge"), min_value=Decimal("0.01"))
    points = forms.IntegerField(
        label=_("Pay part with points"),
        min_value=0,
        required=False,
        initial=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    payment_method = forms.ChoiceField(
        label=_("How you pay"), choices=Pledge.PaymentMethod.choices, widget=forms.RadioSelect
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, campaign: Campaign, points_balance: int = 0, card: bool, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("token", new_form_key())
        kwargs["initial"].setdefault("amount", campaign.min_pledge.amount * 5)
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = _("Your pledge (%(currency)s)") % {
            "currency": settings.DEFAULT_CURRENCY
        }
        self.fields["amount"].help_text = _(
            "At least %(min)s. You receive goods of exactly this value later."
        ) % {"min": campaign.min_pledge}
        # Refuse a too-small pledge with the campaign's own minimum, not a generic bound.
        self.fields["amount"].validators = [
            v for v in self.fields["amount"].validators if not isinstance(v, MinValueValidator)
        ] + [
            MinValueValidator(
                campaign.min_pledge.amount,
                message=_("The smallest pledge for this campaign is %(min)s.")
                % {"min": campaign.min_pledge},
            )
        ]
        self.fields["amount"].widget.attrs["min"] = campaign.min_pledge.amount
        if campaign.accepts_points:
            self.fields["points"].help_text = ngettext(
                "1 point = 1 cent. You have %(points)s point.",
                "1 point = 1 cent. You have %(points)s points.",
                points_balance,
            ) % {"points": points_balance}
        else:
            del self.fields["points"]
        choices = [
            (Pledge.PaymentMethod.AT_SHOP, _("At the shop (within a few days)")),
        ]
        if card:
            choices.insert(0, (Pledge.PaymentMethod.CARD, _("By card, now")))
        self.fields["payment_method"].choices = choices
        self.fields["payment_method"].initial = choices[0][0]


class CounterPresaleRedeemForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    card = forms.CharField(widget=forms.HiddenInput, max_length=200)
    campaign = forms.IntegerField(widget=forms.HiddenInput)
    amount = _amount_field(_("Amount to redeem"))


class CounterPledgeForm(forms.Form):
    card = forms.CharField(widget=forms.HiddenInput, max_length=200)
    pledge = forms.IntegerField(widget=forms.HiddenInput)
