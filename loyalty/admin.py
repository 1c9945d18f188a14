from django.contrib import admin

from .models import Account, Entry, LedgerTransaction, Level


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
