from django.contrib import admin

from .models import Collective, Courier


class CourierInline(admin.TabularInline):
    model = Courier
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Collective)
class CollectiveAdmin(admin.ModelAdmin):
    list_display = ["name", "service_radius_km"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    inlines = [CourierInline]


@admin.register(Courier)
class CourierAdmin(admin.ModelAdmin):
    list_display = ["user", "collective", "vehicle", "is_dispatcher", "on_shift"]
    list_filter = ["collective", "vehicle", "on_shift"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "collective"]
