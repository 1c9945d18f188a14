from django.contrib import admin

from .models import Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "joined_on", "left_on"]
    list_filter = ["kind"]
    autocomplete_fields = ["shop", "collective", "user"]
    list_select_related = ["shop", "collective", "user"]
