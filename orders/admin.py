from django.contrib import admin

from .models import Order, OrderEvent, OrderLine, Payment, Purchase, WebhookEvent


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["title", "sku", "unit", "quantity", "unit_price", "vat_rate", "line_total"]
    exclude = ["product"]


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "note", "created_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    # Orders change only through services (state table, stock): read-only here.
    list_display = ["__str__", "shop", "status", "fulfilment", "total", "created_at"]
    list_filter = ["status", "fulfilment", "shop"]
    list_select_related = ["shop", "purchase"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderEventInline]

    def has_change_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    readonly_fields = ["provider", "status", "amount", "provider_reference", "created_at"]
    exclude = ["redirect_url", "provider_payment_id"]


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "name", "email", "payment_method", "total", "created_at"]
    search_fields = ["email", "name"]
    date_hierarchy = "created_at"
    inlines = [PaymentInline]

    def has_change_permission(self, request, obj=None):
        return False


admin.site.register(WebhookEvent)
