from django.db.models import Exists, OuterRef


def user_roles(*, user) -> dict[str, bool]:
    """Which parts of the site a person works in, in one query."""
    from django.contrib.auth import get_user_model

    from governance.models import Member
    from logistics.models import Courier
    from shops.models import ShopMembership

    me = OuterRef("pk")
    roles = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            shop_member=Exists(ShopMembership.objects.filter(user=me)),
            courier=Exists(Courier.objects.filter(user=me)),
            member=Exists(Member.objects.filter(left_on__isnull=True, user=me))
            | Exists(
                Member.objects.filter(
                    left_on__isnull=True,
                    shop__memberships__user=me,
                    shop__memberships__role="owner",
                )
            )
            | Exists(Member.objects.filter(left_on__isnull=True, collective__couriers__user=me)),
        )
        .values("shop_member", "courier", "member")
        .first()
    )
    return roles or {"shop_member": False, "courier": False, "member": False}
