from django.contrib import admin

from .models import (
    Comment,
    Member,
    NoticeboardPost,
    NoticeboardReply,
    PollOption,
    Proposal,
    ProposalEvent,
    ShopEvent,
    ShopNews,
)


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "joined_on", "left_on"]
    list_filter = ["kind"]
    autocomplete_fields = ["shop", "collective", "user"]
    list_select_related = ["shop", "collective", "user"]
    search_fields = ["shop__name", "collective__name", "user__email"]


class PollOptionInline(admin.TabularInline):
    model = PollOption
    extra = 0
    readonly_fields = ["votes"]


class ProposalEventInline(admin.TabularInline):
    """The audit trail, read-only: who voted when (never how)."""

    model = ProposalEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "member", "actor", "to_status", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    """Read-mostly: votes and results only change through the services, so operators can
    moderate titles and texts but not tallies."""

    list_display = ["title", "kind", "status", "opens_at", "closes_at", "fee_percent"]
    list_filter = ["kind", "status"]
    search_fields = ["title"]
    inlines = [PollOptionInline, ProposalEventInline]
    readonly_fields = [
        "kind",
        "status",
        "proposed_by",
        "author",
        "opens_at",
        "closes_at",
        "quorum_percent",
        "majority",
        "secret",
        "fee_percent",
        "effective_on",
        "shop",
        "closed_at",
        "electorate",
        "yes_count",
        "no_count",
        "abstain_count",
        "quorum_reached",
        "winning_option",
    ]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["proposal", "member", "created_at"]
    list_select_related = ["proposal", "member__shop", "member__collective", "member__user"]
    raw_id_fields = ["proposal", "member", "author"]


class ReplyInline(admin.TabularInline):
    model = NoticeboardReply
    extra = 0
    raw_id_fields = ["member", "author"]


@admin.register(NoticeboardPost)
class NoticeboardPostAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "category", "member", "expires_on", "closed_at"]
    list_filter = ["kind", "category"]
    search_fields = ["title"]
    raw_id_fields = ["member", "author"]
    inlines = [ReplyInline]


@admin.register(ShopNews)
class ShopNewsAdmin(admin.ModelAdmin):
    list_display = ["title", "shop", "published_at"]
    search_fields = ["title", "shop__name"]
    raw_id_fields = ["shop", "author"]


@admin.register(ShopEvent)
class ShopEventAdmin(admin.ModelAdmin):
    list_display = ["title", "shop", "starts_at", "ends_at"]
    search_fields = ["title", "shop__name"]
    raw_id_fields = ["shop", "author"]
