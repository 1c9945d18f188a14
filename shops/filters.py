"""Search filters. django-filter parses and validates every parameter, so a bad value is a
form error on the page rather than an exception, and applies all but the text search, which
shops.selectors ranks."""

import unicodedata
from decimal import Decimal

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from marketplace.geo import Point, bounding_box, distance_expression
from marketplace.models import Postcode

from .models import Category, Label, Product, Shop

MAX_QUERY_LENGTH = 200
# Enough for any product name; a pasted paragraph is cut here rather than costing its
# length in every search step.
MAX_QUERY_WORDS = 8
MAX_WORD_LENGTH = 40


def clean_query(raw: str | None) -> str:
    """Whatever was typed, a query the database can take: no control characters (Postgres
    refuses NUL), folded white space, each word once, at most MAX_QUERY_WORDS words of
    MAX_WORD_LENGTH characters and MAX_QUERY_LENGTH characters in all."""
    if not raw:
        return ""
    # Only the start of a very long input can end up in the query: look at no more.
    head = raw[: MAX_QUERY_LENGTH * 2]
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in head)
    # A word typed twice finds nothing more, and would cost a phrase search.
    words = dict.fromkeys(word[:MAX_WORD_LENGTH] for word in text.split()[: MAX_QUERY_WORDS * 4])
    return " ".join(list(words)[:MAX_QUERY_WORDS])[:MAX_QUERY_LENGTH].strip()


def category_ids_below(category: Category) -> list[int]:
    """The ids of `category` and every category below it, kept until the catalogue changes."""
    from .catalogue_cache import cache_key, cached

    def ids():
        below = Q(path=category.path) | Q(path__startswith=f"{category.path}/")
        return list(Category.objects.filter(below).values_list("pk", flat=True))

    return cached(cache_key("category-ids", category.path, assortment=True), ids)


class Sort:
    RELEVANCE = "relevance"
    PRICE_ASC = "price"
    PRICE_DESC = "-price"
    NEWEST = "newest"
    DISTANCE = "distance"

    choices = [
        (RELEVANCE, _("Best match")),
        (PRICE_ASC, _("Price: low to high")),
        (PRICE_DESC, _("Price: high to low")),
        (NEWEST, _("Newest")),
        (DISTANCE, _("Nearest")),
    ]


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    """The filter form's categories, shops and labels as (value, name), kept until the
    catalogue changes: rendering them is most of a search page's work otherwise."""
    from django.utils.translation import get_language

    from .catalogue_cache import cache_key, cached

    def read():
        shops = Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("name")
        return {
            "category": [
                ("", str(_("All categories"))),
                *Category.objects.order_by("path").values_list("path", "name"),
            ],
            "shop": [("", str(_("All shops"))), *shops.values_list("slug", "name")],
            "label": list(Label.objects.order_by("name").values_list("slug", "name")),
        }

    return cached(cache_key("filter-choices", get_language(), assortment=True), read)


class ProductSearchForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown from the cache (only the widgets get the list); a chosen value is still
        # checked against the database by the field.
        for name, choices in filter_choices().items():
            self.fields[name].widget.choices = choices

    def clean(self):
        data = super().clean()
        data["q"] = clean_query(data.get("q"))
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The upper price must not be below the lower one."))
        # The point that distances are measured from, kept off cleaned_data because
        # django-filter applies one filter per cleaned_data key.
        self.place = None
        code = (data.get("postcode") or "").strip()
        if code:
            area = Postcode.objects.filter(code__iexact=code[:12]).first()
            if area is None:
                self.add_error("postcode", _("We do not know this postcode in our town."))
            else:
                self.place = Point(area.latitude, area.longitude)
        elif data.get("lat") is not None and data.get("lon") is not None:
            self.place = Point(float(data["lat"]), float(data["lon"]))
        if data.get("radius_km") and self.place is None and not self.has_error("postcode"):
            self.add_error(
                "postcode", _("Give a postcode or use your location to search within a distance.")
            )
        if data.get("sort") == Sort.DISTANCE and self.place is None:
            self.add_error("sort", _("Give a postcode or use your location to sort by distance."))
        return data


class ProductSearchFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="by_nothing")
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        queryset=Category.objects.all(),
        to_field_name="path",
        method="by_category",
        empty_label=_("All categories"),
    )
    shop = django_filters.ModelChoiceFilter(
        label=_("Shop"),
        queryset=Shop.objects.filter(status=Shop.Status.ACTIVE),
        to_field_name="slug",
        method="by_shop",
        empty_label=_("All shops"),
    )
    price_min = django_filters.NumberFilter(
        label=_("Price from"), min_value=0, max_value=10**7, method="by_price"
    )
    price_max = django_filters.NumberFilter(
        label=_("Price up to"), min_value=0, max_value=10**7, method="by_price"
    )
    label = django_filters.ModelMultipleChoiceFilter(
        label=_("Labels"),
        queryset=Label.objects.all(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        method="by_labels",
    )
    in_stock = django_filters.BooleanFilter(
        label=_("In stock only"), widget=forms.CheckboxInput, method="by_stock"
    )
    radius_km = django_filters.NumberFilter(
        label=_("Within (km)"), min_value=Decimal("0.1"), max_value=100, method="by_nothing"
    )
    postcode = django_filters.CharFilter(label=_("of postcode"), method="by_nothing", max_length=12)
    lat = django_filters.NumberFilter(
        min_value=-90, max_value=90, method="by_nothing", widget=forms.HiddenInput
    )
    lon = django_filters.NumberFilter(
        min_value=-180, max_value=180, method="by_nothing", widget=forms.HiddenInput
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=Sort.choices, empty_label=None, method="by_nothing"
    )

    class Meta:
        model = Product
        fields: list[str] = []
        form = ProductSearchForm

    def __init__(self, data=None, *args, **kwargs):
        # Any typed text is a search, never a form error: clean it before validation.
        if data is not None and "q" in data:
            data = data.copy()
            data["q"] = clean_query(data.get("q"))
        super().__init__(data, *args, **kwargs)

    def by_nothing(self, queryset, name, value):
        # Text, place and sort are applied together by shops.selectors.product_search.
        return queryset

    def by_category(self, queryset, name, category):
        # The category and those below it as ids, so the products' own index on
        # (category, title) serves the filter without a join to categories.
        return queryset.filter(category_id__in=category_ids_below(category))

    def by_shop(self, queryset, name, shop):
        return queryset.filter(shop=shop)

    def by_price(self, queryset, name, value):
        amount = Money(value, settings.DEFAULT_CURRENCY)
        if name == "price_min":
            return queryset.filter(price__gte=amount)
        return queryset.filter(price__lte=amount)

    def by_labels(self, queryset, name, labels):
        # Every chosen label must be on the product; EXISTS keeps rows unique without DISTINCT.
        for label in labels:
            tagged = Product.labels.through.objects.filter(product=OuterRef("pk"), label=label)
            queryset = queryset.filter(Exists(tagged))
        return queryset

    def by_stock(self, queryset, name, value):
        if value:
            return queryset.filter(Q(always_available=True) | Q(stock_quantity__gt=0))
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        place = self.form.place
        if place is not None:
            queryset = queryset.annotate(
                distance_km=distance_expression(place, "shop__latitude", "shop__longitude")
            )
            radius = self.form.cleaned_data.get("radius_km")
            if radius:
                min_lat, max_lat, min_lon, max_lon = bounding_box(place, float(radius))
                queryset = queryset.filter(
                    shop__latitude__range=(min_lat, max_lat),
                    shop__longitude__range=(min_lon, max_lon),
                    distance_km__lte=float(radius),
                )
        return queryset
