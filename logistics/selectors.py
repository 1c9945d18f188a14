from django.db.models import Count, Q, QuerySet
from django.http import Http404

from .models import Collective, Courier


def courier_roles_of(*, user) -> QuerySet[Courier]:
    return (
        Courier.objects.filter(user=user).select_related("collective").order_by("collective__name")
    )


def collective_list() -> QuerySet[Collective]:
    return Collective.objects.annotate(
        courier_count=Count("couriers"),
        on_shift_count=Count("couriers", filter=Q(couriers__on_shift=True)),
    ).order_by("name")


def collective_get(*, slug: str) -> Collective:
    try:
        return collective_list().get(slug=slug)
    except Collective.DoesNotExist:
        raise Http404("No such collective") from None


def courier_for_user(*, user, courier_id: int) -> Courier:
    """The courier role if it is `user`'s own; 404 otherwise."""
    try:
        return Courier.objects.select_related("collective").get(pk=courier_id, user=user)
    except Courier.DoesNotExist:
        raise Http404("No such courier") from None
