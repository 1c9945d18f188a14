from django.contrib import admin

from .models import (
    Account,
    Entry,
    LedgerTransaction,
    Level,
    Offer,
    Settlement,
    SettlementLine,
    SupporterCard,
)


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = ["name", "threshold", "rate_percent"]


class EntryInline(admin.TabularInline):
    model = Entry
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount"]


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(admin.ModelAdmin):
    # The ledger is append-only: corrections are new transactions, never edits.
    list_display = ["idempotency_key", "kind", "shop", "created_at"]
    list_filter = ["kind"]
    inlines = [EntryInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "balance"]
    list_filter = ["kind"]
    readonly_fields = ["balance"]

    def has_delete_permission(self, request, obj=None):
        return False


class SettlementLineInline(admin.TabularInline):
    model = SettlementLine
    extra = 0
    can_delete = False
    readonly_fields = ["shop", "issued", "redeemed", "net"]


@admin.register(Settlement)
class SettlementAdmin(admin.ModelAdmin):
    # Settlements are made by the monthly task from the ledger; they are read here, not edited.
    list_display = ["month", "transaction", "created_at"]
    inlines = [SettlementLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupporterCard)
class SupporterCardAdmin(admin.ModelAdmin):
    list_display = ["number", "user", "level", "level_checked_at"]
    search_fields = ["number", "user__email"]
    readonly_fields = ["number", "level", "level_checked_at", "expiry_reminded_at"]
    raw_id_fields = ["user"]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["title", "shop", "points_cost", "remaining", "valid_until", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "shop__name"]
