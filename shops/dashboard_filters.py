"""The shop's product list: search, filters and sorting, parsed by django-filter."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Category, Product
from .selectors import LOW_STOCK


class DashboardProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search title or SKU"), method="by_text")
    state = django_filters.ChoiceFilter(
        label=_("Show"),
        choices=[
            ("active", _("Active")),
            ("inactive", _("Inactive")),
            ("low", _("Low on stock")),
            ("out", _("Out of stock")),
        ],
        empty_label=_("All products"),
        method="by_state",
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        queryset=Category.objects.all(),
        to_field_name="path",
        empty_label=_("All categories"),
        method="by_category",
    )
    # No empty "---------" choice: the list is sorted by title unless told otherwise.
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        empty_label=None,
        fields=(
            ("title", "title"),
            ("price", "price"),
            ("stock_quantity", "stock"),
            ("updated_at", "updated"),
        ),
        field_labels={
            "title": _("Title"),
            "price": _("Price"),
            "stock_quantity": _("Stock"),
            "updated_at": _("Last changed"),
        },
    )

    class Meta:
        model = Product
        fields: list[str] = []

    def by_text(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(title__icontains=value) | Q(sku__icontains=value))

    def by_state(self, queryset, name, value):
        stocked = Q(always_available=False)
        return {
            "active": queryset.filter(is_active=True),
            "inactive": queryset.filter(is_active=False),
            "low": queryset.filter(stocked, stock_quantity__gt=0, stock_quantity__lte=LOW_STOCK),
            "out": queryset.filter(stocked, stock_quantity__lte=0),
        }.get(value, queryset)

    def by_category(self, queryset, name, category):
        return queryset.filter(
            Q(category__path=category.path) | Q(category__path__startswith=f"{category.path}/")
        )
