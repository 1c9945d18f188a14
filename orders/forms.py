import datetime
import html
import secrets

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import formats, timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from shops import catalogue_cache

from .delivery import pickup_slot_at, pickup_slots
from .models import Order
from .payments import available_providers


class AddToCartForm(forms.Form):
    quantity = forms.CharField(label=_("Quantity"), max_length=12, initial="1")


class CartLineForm(forms.Form):
    quantity = forms.CharField(label=_("Quantity"), max_length=12)


class QuickSelect(forms.Select):
    """A select rendered in Python, straight from its choices: checkout's selects hold
    hundreds of pickup times and delivery windows, and Django's template and option dict
    per option cost milliseconds a page."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = set(self.format_value(value))
        parts = [f'<select name="{_escape(name)}"{_attributes(attrs)}>']
        for key, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(f'<optgroup label="{_escape(key)}">')
                parts.extend(self._option(v, text, chosen) for v, text in label)
                parts.append("</optgroup>")
            else:
                parts.append(self._option(key, label, chosen))
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped

    def _option(self, value, label, chosen: set) -> str:
        value = "" if value is None else str(value)
        selected = " selected" if value in chosen else ""
        return (
            f'<option value="{_escape(value)}"{selected}{self.option_attributes(value)}>'
            f"{_escape(label)}</option>"
        )

    def option_attributes(self, value: str) -> str:
        return ""


def _escape(text) -> str:
    # The standard library's escape: the same five characters as Django's, without the
    # lazy-string and SafeString wrapping that costs more than the escaping.
    return html.escape(str(text))


def _attributes(attrs: dict) -> str:
    """HTML attributes, escaped; True renders the bare name, False and None nothing."""
    return "".join(
        f" {key}" if value is True else f' {key}="{_escape(value)}"'
        for key, value in attrs.items()
        if value is not False and value is not None
    )


class WindowSelect(QuickSelect):
    """A select of delivery windows; each option names the shops that can make it
    (data-shops), so the page offers only windows that suit every delivering shop."""

    def __init__(self, *args, shops_of=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A callable: which shops can make each window is known once the page is drawn.
        self.shops_of = shops_of or dict

    def option_attributes(self, value: str) -> str:
        shops = self.shops_of().get(value)
        return f' data-shops="{" ".join(str(pk) for pk in sorted(shops))}"' if shops else ""


def _day_names(now):
    """A function naming a day "Today", "Tomorrow" or "Sat 14 Dec", formatting each day once."""
    today = timezone.localtime(now).date()
    names: dict[datetime.date, str] = {}

    def name_of(day: datetime.date) -> str:
        if day not in names:
            if day == today:
                names[day] = str(_("Today"))
            elif day == today + datetime.timedelta(days=1):
                names[day] = str(_("Tomorrow"))
            else:
                names[day] = formats.date_format(day, "D j M")
        return names[day]

    return name_of


def slot_choices(slots, now) -> list:
    """Pickup times for a select, labelled "Today, 16:30"; cheap for hundreds of slots."""
    name_of = _day_names(now)
    choices = []
    for start, _end in slots:
        local = timezone.localtime(start)
        choices.append((start.isoformat(), f"{name_of(local.date())}, {local:%H:%M}"))
    return choices


def window_choices(offers, now) -> list:
    """Offers grouped by day for a select: ("Today", [(iso start, "Today 16:00–18:00")…]).
    Day names are formatted once per day, times with strftime: cheap for many windows."""
    name_of = _day_names(now)
    days: dict[datetime.date, tuple[str, list]] = {}
    for offer in offers:
        start = timezone.localtime(offer.starts_at)
        end = timezone.localtime(offer.ends_at)
        name = name_of(start.date())
        days.setdefault(start.date(), (name, []))[1].append(
            (start.isoformat(), f"{name} {start:%H:%M}–{end:%H:%M}")
        )
    return list(days.values())


def shop_slot_choices(shop, now) -> list:
    """A shop's pickup times as labelled choices, listed once a minute for every customer
    and kept until the shop's hours change (the catalogue's version). Listed from the next
    whole minute: later than `now`, so every time kept is still on offer until then."""
    minute = now.replace(second=0, microsecond=0)
    if minute < now:
        minute += datetime.timedelta(minutes=1)
    # The assortment's version: sales leave it alone, a change of hours or closures does not.
    key = catalogue_cache.cache_key(
        "pickup-choices", shop.pk, minute.isoformat(), get_language(), assortment=True
    )
    return catalogue_cache.cached(
        key, lambda: slot_choices(pickup_slots(shop, minute), minute), timeout=120
    )


class LazyChoices(BaseChoiceIterator):
    """Choices listed by `make` the first time something iterates them (a page drawing the
    select), then kept: a posted form is checked without listing hundreds of times."""

    def __init__(self, make):
        self.make = make
        self.listed = None

    def __iter__(self):
        if self.listed is None:
            self.listed = list(self.make())
        return iter(self.listed)

    def __len__(self):
        return len(list(iter(self)))


class TimeChoiceField(forms.ChoiceField):
    """A pickup time or delivery window: `find(text)` gives the moment a posted value names
    when it is one on offer (else None); the form asks it only for the choice the customer
    made (a pickup time for a shop chosen for delivery is not checked). The options, a
    LazyChoices, are listed only when a page shows the field."""

    def __init__(self, *, find, **kwargs):
        super().__init__(**kwargs)
        self.find = find

    def validate(self, value):
        # Not ChoiceField's walk over every option: the form checks the one chosen with find.
        forms.Field.validate(self, value)


def _parse_moment(text: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


class CheckoutForm(forms.Form):
    """Contact, per-shop pickup or delivery, one address, one payment. Prices are never
    fields: the server computes every amount.

    Shops come with their opening hours and closures prefetched and their couriers'
    collective selected. A chosen pickup time is checked directly against the shop's hours;
    the pickup times and delivery windows are listed and labelled only when the page is
    drawn (a GET, or a POST shown again with errors); the windows' offers are read from the
    database only then or when a shop is chosen for delivery."""

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
        self.now = now or timezone.now()
        self.points_available = points_available
        self.fields["points"].validators.append(MaxValueValidator(points_available))
        self.fields["points"].widget.attrs.update({"max": points_available, "inputmode": "numeric"})
        if not self.is_bound:
            self.initial.setdefault("checkout_token", secrets.token_urlsafe(24))
        self.fields["payment_method"].choices = [
            (code, provider.label) for code, provider in available_providers().items()
        ]
        if len(self.fields["payment_method"].choices) == 1:
            self.initial.setdefault("payment_method", self.fields["payment_method"].choices[0][0])
        for shop in shops:
            choices = [(Order.Fulfilment.PICKUP, _("Pick up at the shop"))]
            if shop.offers_delivery and shop.delivery_collective_id:
                choices.append((Order.Fulfilment.DELIVERY, _("Delivery by bike")))
            self.fields[f"fulfilment_{shop.pk}"] = forms.ChoiceField(
                label=shop.name,
                choices=choices,
                widget=forms.RadioSelect,
                initial=Order.Fulfilment.PICKUP,
            )
            self.fields[f"slot_{shop.pk}"] = TimeChoiceField(
                label=_("Pickup time"),
                required=False,
                choices=LazyChoices(lambda shop=shop: self._slot_choices(shop)),
                find=lambda text, shop=shop: self._slot_at(shop, text),
                error_messages={
                    "invalid_choice": _(
                        "This pickup time is not offered (any more); choose another."
                    )
                },
                widget=QuickSelect,
            )
        self._add_window_fields(shops)

    def _slot_choices(self, shop) -> list:
        return [("", _("Choose a time")), *shop_slot_choices(shop, self.now)]

    def _slot_at(self, shop, text: str) -> datetime.datetime | None:
        moment = _parse_moment(text)
        return pickup_slot_at(shop, moment, self.now) if moment else None

    def _add_window_fields(self, shops):
        """One delivery-time choice per couriers' collective: its shops ride together."""
        collectives = {
            shop.delivery_collective_id: shop.delivery_collective
            for shop in shops
            if shop.offers_delivery and shop.delivery_collective_id
        }
        self.window_collectives = []
        for pk, collective in sorted(collectives.items()):
            name = f"window_{pk}"
            label = _("Delivery time")
            if len(collectives) > 1:
                label = _("Delivery time with %(collective)s") % {"collective": collective.name}
            self.fields[name] = TimeChoiceField(
                label=label,
                required=False,
                choices=LazyChoices(
                    lambda pk=pk: (
                        [("", _("Choose a time"))] + window_choices(self._offers[pk], self.now)
                    )
                ),
                find=lambda text, pk=pk: self._window_starts(pk).get(text),
                initial=lambda pk=pk: self._first_window(pk),
                error_messages={
                    "invalid_choice": _(
                        "This delivery time is not offered (any more); choose another."
                    )
                },
                widget=WindowSelect(
                    shops_of=lambda pk=pk: self._window_shops(pk),
                    # A posted form comes back with the customer's window: keep it.
                    attrs={"data-collective": pk} | ({"data-chosen": "1"} if self.is_bound else {}),
                ),
            )
            self.window_collectives.append((collective, self[name]))

    @cached_property
    def _offers(self) -> dict[int, list]:
        """The windows not full that a collective's shops can make, by collective id."""
        from .selectors import delivery_window_offers

        offers = delivery_window_offers(shops=self.shops, now=self.now)
        return {collective.pk: listed for collective, listed in offers}

    def _window_starts(self, pk: int) -> dict[str, datetime.datetime]:
        return {offer.starts_at.isoformat(): offer.starts_at for offer in self._offers[pk]}

    def _window_shops(self, pk: int) -> dict[str, frozenset]:
        if not hasattr(self, "_shops_of"):
            self._shops_of = {}
        if pk not in self._shops_of:
            self._shops_of[pk] = {o.starts_at.isoformat(): o.shop_ids for o in self._offers[pk]}
        return self._shops_of[pk]

    def _first_window(self, pk: int) -> str:
        """The earliest window every shop of the collective can make, else the earliest."""
        offers = self._offers[pk]
        delivering = {s.pk for s in self.shops if s.delivery_collective_id == pk}
        first = ([o for o in offers if delivering <= o.shop_ids] or offers)[:1]
        return first[0].starts_at.isoformat() if first else ""

    def window_fields(self):
        return self.window_collectives

    def shop_fields(self):
        for shop in self.shops:
            yield shop, self[f"fulfilment_{shop.pk}"], self[f"slot_{shop.pk}"]

    def clean(self):
        data = super().clean()
        wants_delivery = False
        for shop in self.shops:
            fulfilment = data.get(f"fulfilment_{shop.pk}")
            slot_name = f"slot_{shop.pk}"
            chosen_slot, data[slot_name] = data.get(slot_name), None
            if fulfilment == Order.Fulfilment.PICKUP:
                if not chosen_slot:
                    self.add_error(slot_name, _("Choose when you will pick up."))
                else:
                    data[slot_name] = self._chosen(slot_name, chosen_slot)
            elif fulfilment == Order.Fulfilment.DELIVERY:
                wants_delivery = True
                name = f"window_{shop.delivery_collective_id}"
                if name in self.errors:
                    continue
                chosen = data.get(name)
                if not chosen:
                    self.add_error(name, _("Choose a delivery time."))
                else:
                    data[f"delivery_from_{shop.pk}"] = self._chosen(name, chosen)
        if wants_delivery:
            for name in ("street", "postcode", "city"):
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("Needed for delivery."))
        data["wants_delivery"] = wants_delivery
        data["points"] = data.get("points") or 0
        return data

    def _chosen(self, name: str, text: str) -> datetime.datetime | None:
        """The moment the posted time names, or None with the field's error added."""
        field = self.fields[name]
        moment = field.find(text)
        if moment is None:
            self.add_error(name, field.error_messages["invalid_choice"])
        return moment
