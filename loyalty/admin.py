from django.contrib import admin

from .models import (
    Account,
    Campaign,
    CampaignEvent,
    Entry,
    LedgerTransaction,
    Level,
    Offer,
    Pledge,
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


class CampaignEventInline(admin.TabularInline):
    model = CampaignEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "note", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    # Money moved by a campaign lives in the ledger: status, totals and terms change only
    # through the presale services (deadlines, refunds), so operators read them here.
    list_display = ["title", "shop", "status", "target", "raised", "deadline"]
    list_filter = ["status", "reward", "if_missed"]
    search_fields = ["title", "shop__name"]
    readonly_fields = ["status", "raised", "target", "if_missed", "accepts_points"]
    raw_id_fields = ["shop", "products"]
    inlines = [CampaignEventInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Pledge)
class PledgeAdmin(admin.ModelAdmin):
    list_display = ["campaign", "supporter", "amount", "points_used", "payment_method", "status"]
    list_filter = ["status", "payment_method"]
    search_fields = ["supporter__email", "campaign__title"]
    list_select_related = ["campaign", "supporter"]
    exclude = ["checkout_url", "token"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
