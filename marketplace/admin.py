from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import OutboxMessage, Postcode, User
from .outbox import outbox_retry


@admin.register(User)
class PersonAdmin(UserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "is_staff", "is_active"]
    search_fields = ["email", "display_name", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("display_name", "first_name", "last_name", "phone")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Postcode)
class PostcodeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "latitude", "longitude"]
    search_fields = ["code", "name"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """What operators look at when an email did not arrive: each side effect, its state, its
    tries and the last error; "try again now" for one that failed for good."""

    list_display = ["pk", "topic", "handler", "state", "attempts", "available_at", "created_at"]
    list_filter = ["state", "topic"]
    search_fields = ["topic", "handler", "last_error"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["try_again_now"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Try again now"))
    def try_again_now(self, request, queryset):
        count = outbox_retry(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)s message will be tried again.",
                "%(count)s messages will be tried again.",
                count,
            )
            % {"count": count},
        )
