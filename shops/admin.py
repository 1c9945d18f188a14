from django.contrib import admin
from django.db import models

from .models import (
    Category,
    Label,
    OpeningHours,
    Product,
    ProductPhoto,
    Shop,
    ShopMembership,
    Synonym,
    UnmetSearch,
)
from .services.stock import product_save_keeping_stock


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ShopMembershipInline(admin.TabularInline):
    model = ShopMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "postcode", "city"]
    list_filter = ["status", "labels"]
    search_fields = ["name", "street", "postcode"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["labels"]
    inlines = [OpeningHoursInline, ShopMembershipInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class ProductPhotoInline(admin.TabularInline):
    model = ProductPhoto
    extra = 0
    fields = ["image", "alt_text", "position", "thumbnail"]
    readonly_fields = ["thumbnail"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "shop",
        "sku",
        "price",
        "stock_quantity",
        "allocated_quantity",
        "is_active",
    ]
    # Stock changes through the shop's dashboard, the till API and orders, all through
    # shops.services.stock; an admin save must not write back figures read before a sale.
    readonly_fields = ["stock_quantity", "allocated_quantity"]
    list_filter = ["is_active", "shop", "unit"]
    search_fields = ["title", "sku"]
    list_select_related = ["shop"]
    autocomplete_fields = ["shop", "category"]
    filter_horizontal = ["labels"]
    inlines = [ProductPhotoInline]

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        product_save_keeping_stock(obj)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["path", "name"]
    search_fields = ["name", "path"]


admin.site.register(Label)


@admin.register(UnmetSearch)
class UnmetSearchAdmin(admin.ModelAdmin):
    list_display = ["term", "area", "created_at"]
    search_fields = ["term"]
    date_hierarchy = "created_at"


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ["term", "alternatives"]
    search_fields = ["term", "alternatives"]
