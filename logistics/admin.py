from django.contrib import admin

from .models import Collective, Courier, DeliveryWindow, ServiceHours


class ServiceHoursInline(admin.TabularInline):
    model = ServiceHours
    extra = 0


class CourierInline(admin.TabularInline):
    model = Courier
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Collective)
class CollectiveAdmin(admin.ModelAdmin):
    list_display = ["name", "service_radius_km", "window_minutes", "window_capacity"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    inlines = [ServiceHoursInline, CourierInline]


@admin.register(DeliveryWindow)
class DeliveryWindowAdmin(admin.ModelAdmin):
    """Bookings are made at checkout; the admin only looks."""

    list_display = ["collective", "starts_at", "ends_at", "taken", "capacity"]
    list_filter = ["collective"]
    date_hierarchy = "starts_at"
    list_select_related = ["collective"]
    readonly_fields = ["collective", "starts_at", "ends_at", "taken", "capacity"]

    def has_add_permission(self, request):
        return False


@admin.register(Courier)
class CourierAdmin(admin.ModelAdmin):
    list_display = ["user", "collective", "vehicle", "is_dispatcher", "on_shift"]
    list_filter = ["collective", "vehicle", "on_shift"]
    autocomplete_fields = ["user"]
    list_select_related = ["user", "collective"]
