import uuid

from django.core.cache import cache
from django.db.models import Exists, OuterRef, Subquery

ROLES_VERSION_KEY = "roles:version"
ROLES_TIMEOUT = 300


def roles_changed(**kwargs) -> None:
    """A shop membership, courier, cooperative member or collective changed: every
    person's menu is read again (a signal receiver; see MarketplaceConfig.ready)."""
    cache.set(ROLES_VERSION_KEY, uuid.uuid4().hex[:12], None)


def user_roles(*, user) -> dict:
    """Which parts of the site a person works in, in one query: booleans for shop member,
    courier and cooperative member, the first shop they work at (`shop_id`, for the menu's
    "Shop orders") and the collective whose board they dispatch (`dispatch_slug`). Kept
    in the cache until one of those changes: every page's menu shows them."""
    return kept_for_person(user=user, name="roles", read=lambda: _user_roles(user=user))


def kept_for_person(*, user, name: str, read):
    """`read()` of a person's roles, kept in the cache until roles change (roles_changed)."""
    version = cache.get(ROLES_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex[:12]
        if not cache.add(ROLES_VERSION_KEY, version, None):
            version = cache.get(ROLES_VERSION_KEY) or version
    key = f"roles:{version}:{user.pk}:{name}"
    value = cache.get(key)
    if value is None:
        value = read()
        cache.set(key, value, ROLES_TIMEOUT)
    return value


def _user_roles(*, user) -> dict:
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
            shop_id=Subquery(
                ShopMembership.objects.filter(user=me).order_by("pk").values("shop_id")[:1]
            ),
            dispatch_slug=Subquery(
                Courier.objects.filter(user=me, is_dispatcher=True)
                .order_by("pk")
                .values("collective__slug")[:1]
            ),
        )
        .values("shop_member", "courier", "member", "shop_id", "dispatch_slug")
        .first()
    )
    return roles or {
        "shop_member": False,
        "courier": False,
        "member": False,
        "shop_id": None,
        "dispatch_slug": None,
    }
