"""Input shapes of the shopping-list pages; what a list may hold is checked by the service."""

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .parsing import MAX_LINES
from .services import PLANNING_HORIZON_DAYS

# Long enough for a pasted list far over the limit, so the service can say how many lines
# it has instead of a bare "too long".
MAX_TEXT = 60_000


class ShoppingListForm(forms.Form):
    name = forms.CharField(
        label=_("Name (optional)"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    text = forms.CharField(
        label=_("What do you need?"),
        help_text=_("One thing per line, as on paper: “2 kg potatoes”, “500g coffee”, “oat milk”.")
        + " "
        + _("At most %(max)s lines.") % {"max": MAX_LINES},
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "autocapitalize": "sentences"}),
    )


class AddLineForm(forms.Form):
    text = forms.CharField(
        label=_("Add to the list"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. 3 x oat milk"), "autocomplete": "off"}
        ),
    )


class LineChangeForm(forms.Form):
    done = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")],
        coerce=lambda v: v == "1",
        required=False,
        empty_value=None,
    )
    product = forms.IntegerField(min_value=0, required=False)


class StartForm(forms.Form):
    place = forms.CharField(
        label=_("Starting from"),
        help_text=_("A postcode or an address in town, or use your position."),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    lat = forms.FloatField(min_value=-90, max_value=90, required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(min_value=-180, max_value=180, required=False, widget=forms.HiddenInput)
    round_trip = forms.BooleanField(
        label=_("Come back here at the end"), required=False, initial=True
    )
    when = forms.ChoiceField(
        label=_("Setting off"),
        choices=[("now", _("Now")), ("later", _("Later: choose a day and time"))],
        initial="now",
        # Left out, as by a form that knows nothing of planning ahead: now.
        required=False,
        widget=forms.RadioSelect,
    )
    day = forms.DateField(
        label=_("Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    time = forms.TimeField(
        label=_("Time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M"),
    )

    def __init__(self, *args, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser's date picker offers only the days the planner plans for.
        today = today or timezone.localdate()
        last = today + datetime.timedelta(days=PLANNING_HORIZON_DAYS)
        self.fields["day"].widget.attrs.update({"min": today.isoformat(), "max": last.isoformat()})
        if not settings.GEOCODER_URL:
            # Without a geocoder the node knows its postcodes only: don't promise addresses.
            self.fields["place"].help_text = _("A postcode in town, or use your position.")
            self.fields["place"].widget.attrs["autocomplete"] = "postal-code"

    def clean(self):
        data = super().clean()
        has_position = data.get("lat") is not None and data.get("lon") is not None
        if not has_position and not (data.get("place") or "").strip() and not self.errors:
            raise forms.ValidationError(
                _("Use your position, or type a postcode or an address in town.")
            )
        if data.get("when") == "later":
            if data.get("day") is None and not self.has_error("day"):
                self.add_error("day", _("Choose the day you set off."))
            if data.get("time") is None and not self.has_error("time"):
                self.add_error("time", _("Choose the time you set off."))
        return data

    horizon_days = PLANNING_HORIZON_DAYS

    @property
    def sets_off_at(self) -> datetime.datetime | None:
        """The chosen moment in the node's time zone, or None for "now"."""
        data = self.cleaned_data
        if data.get("when") != "later" or data.get("day") is None or data.get("time") is None:
            return None
        return timezone.make_aware(datetime.datetime.combine(data["day"], data["time"]))
