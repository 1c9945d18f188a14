from django.db.models import Q, QuerySet

from .models import Member


def current_members() -> QuerySet[Member]:
    return Member.objects.filter(left_on__isnull=True).select_related("shop", "collective", "user")


def member_entries_of(*, user) -> QuerySet[Member]:
    """The register entries through which `user` votes: their own supporter membership,
    shops they own, and collectives they ride for."""
    return (
        current_members()
        .filter(
            Q(user=user)
            | Q(shop__memberships__user=user, shop__memberships__role="owner")
            | Q(collective__couriers__user=user)
        )
        .distinct()
    )


def user_is_member(*, user) -> bool:
    return user.is_authenticated and member_entries_of(user=user).exists()
