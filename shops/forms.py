from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from .models import Category, OpeningHours, Product, Shop, ShopClosure, ShopMembership
from .quantities import format_quantity
from .services.catalogue import BulkAction


class ProductPhotoForm(forms.Form):
    # A FileField, not an ImageField: shops.photos checks the picture itself and says why
    # it refuses one.
    image = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG, WebP or GIF. Location and camera data are removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    alt_text = forms.CharField(
        label=_("What the photo shows"),
        max_length=200,
        required=False,
        help_text=_("Read aloud to people who cannot see the picture."),
    )


class ProductForm(forms.ModelForm):
    """A product as the shop edits it. The price is an amount in the node's currency."""

    price_amount = forms.DecimalField(
        label=_("Price"), min_value=0, max_digits=10, decimal_places=2
    )

    class Meta:
        model = Product
        fields = [
            "title",
            "description",
            "category",
            "vat_rate",
            "unit",
            "quantity_step",
            "weight_kg",
            "volume_litres",
            "stock_quantity",
            "always_available",
            "sku",
            "labels",
            "is_active",
        ]
        widgets = {
            "labels": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    field_order = ["title", "price_amount"]

    def __init__(self, *args, shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop
        self.instance.shop = shop
        if self.instance.pk:
            self.initial["price_amount"] = self.instance.price.amount
        stock = self.fields["stock_quantity"]
        stock.min_value = 0
        stock.widget.attrs["min"] = 0
        # The figure shown when the page was opened travels with the form, so saving other
        # edits does not undo sales made meanwhile: stock is written only when changed.
        stock.show_hidden_initial = True
        stock.help_text = _("Available to sell.")
        if self.instance.pk and not self.instance.always_available:
            stock.help_text = _(
                "Available to sell. Set aside for orders waiting for pickup or delivery: "
                "%(allocated)s more, not counted here."
            ) % {"allocated": format_quantity(self.instance.allocated_quantity)}
        # Say what the empty choice means instead of Django's "---------".
        self.fields["category"].empty_label = _("No category")

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        taken = Product.objects.filter(shop=self.shop, sku=sku).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another product of your shop has this SKU."))
        return sku

    def clean_stock_quantity(self):
        value = self.cleaned_data["stock_quantity"]
        if value is not None and value < 0:
            raise forms.ValidationError(_("Stock cannot be negative."))
        return value

    def product_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields if name != "labels"}
        if self.instance.pk and "stock_quantity" not in self.changed_data:
            del data["stock_quantity"]
        data["price"] = Money(self.cleaned_data["price_amount"], settings.DEFAULT_CURRENCY)
        return data


class BulkProductForm(forms.Form):
    ACTIONS = [
        (BulkAction.ACTIVATE, _("Activate")),
        (BulkAction.DEACTIVATE, _("Deactivate")),
        (BulkAction.PRICE_PERCENT, _("Change price by %")),
        (BulkAction.SET_STOCK, _("Set stock to")),
        (BulkAction.SET_CATEGORY, _("Set category")),
    ]
    products = forms.TypedMultipleChoiceField(coerce=int, label=_("Products"))
    action = forms.ChoiceField(label=_("With the chosen products"), choices=ACTIONS)
    value = forms.DecimalField(
        label=_("Value"),
        required=False,
        max_digits=10,
        decimal_places=3,
        min_value=-90,
        max_value=1_000_000,
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=None,
        required=False,
        to_field_name="path",
        empty_label=_("Choose a category…"),
    )

    def __init__(self, *args, product_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].choices = [(pk, pk) for pk in product_ids]
        self.fields["category"].queryset = Category.objects.all()

    def clean(self):
        data = super().clean()
        action, value = data.get("action"), data.get("value")
        if action in (BulkAction.PRICE_PERCENT, BulkAction.SET_STOCK) and value is None:
            self.add_error("value", _("Enter the value for this change."))
        if action == BulkAction.SET_STOCK and value is not None and value < 0:
            self.add_error("value", _("Stock cannot be negative."))
        if action == BulkAction.SET_CATEGORY and not data.get("category"):
            self.add_error("category", _("Choose a category."))
        return data


class ProductImportForm(forms.Form):
    file = forms.FileField(
        label=_("Product file"),
        help_text=_(
            "CSV (UTF-8, comma or semicolon) or .xlsx with a header row. Rows are matched to "
            "your products by SKU. Download your products first to get the columns."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("At most 20 MB per file."))
        return upload


class ReportPeriodForm(forms.Form):
    first_day = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if first > last:
                self.add_error("last_day", _("The end must not be before the start."))
            elif (last - first).days > 366:
                self.add_error("last_day", _("At most one year at a time."))
        return data


class ShopSettingsForm(forms.ModelForm):
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Shop
        fields = [
            "name",
            "description",
            "street",
            "postcode",
            "city",
            "latitude",
            "longitude",
            "phone",
            "email",
            "website",
            "logo",
            "labels",
            "pickup_lead_minutes",
            "pickup_slot_minutes",
            "offers_delivery",
            "delivery_radius_km",
        ]
        widgets = {
            "labels": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
            "latitude": forms.HiddenInput,
            "longitude": forms.HiddenInput,
        }

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):
            from .exceptions import InvalidPhoto
            from .photos import clean_photo

            try:
                content, _w, _h = clean_photo(logo)
            except InvalidPhoto as error:
                raise forms.ValidationError(error.message) from None
            content.name = f"logo-{content.name}"
            return content
        return logo


class OpeningHoursForm(forms.ModelForm):
    """One opening period. The empty choice of a new row says what to do, not "---------"."""

    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weekday"].choices = [
            ("", _("Choose a day")),
            *OpeningHours._meta.get_field("weekday").choices,
        ]


OpeningHoursFormSet = forms.inlineformset_factory(
    Shop,
    OpeningHours,
    form=OpeningHoursForm,
    fields=["weekday", "opens", "closes"],
    extra=2,
    can_delete=True,
    widgets={
        "opens": forms.TimeInput(attrs={"type": "time"}),
        "closes": forms.TimeInput(attrs={"type": "time"}),
    },
)
ClosureFormSet = forms.inlineformset_factory(
    Shop,
    ShopClosure,
    fields=["first_day", "last_day", "note"],
    extra=1,
    can_delete=True,
    widgets={
        "first_day": forms.DateInput(attrs={"type": "date"}),
        "last_day": forms.DateInput(attrs={"type": "date"}),
    },
)


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email of the person to invite"))
    # The least-privileged role comes first and is the default: owners pick "Owner" on purpose.
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (ShopMembership.Role.STAFF, ShopMembership.Role.STAFF.label),
            (ShopMembership.Role.OWNER, ShopMembership.Role.OWNER.label),
        ],
        initial=ShopMembership.Role.STAFF,
        widget=forms.RadioSelect,
        help_text=_(
            "Staff run orders, products and the counter; owners also manage the team, "
            "the settings and the till tokens."
        ),
    )
