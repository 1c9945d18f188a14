from django.db.models import Count, F, Q, QuerySet
from django.http import Http404

from .models import Collective, Courier, DeliveryWindow


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
        return collective_list().prefetch_related("service_hours").get(slug=slug)
    except Collective.DoesNotExist:
        raise Http404("No such collective") from None


def courier_for_user(*, user, courier_id: int) -> Courier:
    """The courier role if it is `user`'s own; 404 otherwise."""
    try:
        return Courier.objects.select_related("collective").get(pk=courier_id, user=user)
    except Courier.DoesNotExist:
        raise Http404("No such courier") from None


def courier_of_user(*, user, collective_id: int | None = None) -> Courier | None:
    couriers = Courier.objects.select_related("collective").filter(user=user)
    if collective_id:
        couriers = couriers.filter(collective_id=collective_id)
    return couriers.order_by("pk").first()


def open_jobs_near(*, courier: Courier, point=None, limit: int = 50) -> list:
    """Open jobs of the courier's collective, nearest pickup first when a position is known;
    each with the pickup→drop-off distance. Only the drop-off's area is exposed."""
    from marketplace.geo import Point, distance_km

    from .models import DeliveryJob

    jobs = list(
        DeliveryJob.objects.filter(collective_id=courier.collective_id, status="open")
        .prefetch_related("pickups__shop")
        .order_by("drop_before", "pk")[:200]
    )
    for job in jobs:
        shops = [p.shop for p in job.pickups.all()]
        first = shops[0] if shops else None
        job.first_pickup = first
        job.away_km = (
            distance_km(point, Point(first.latitude, first.longitude))
            if point is not None and first is not None
            else None
        )
    if point is not None:
        jobs.sort(key=lambda j: (j.away_km is None, j.away_km or 0))
    return jobs[:limit]


def jobs_of_courier(*, courier: Courier):
    from .models import DeliveryJob

    return (
        DeliveryJob.objects.filter(courier=courier, status__in=["claimed", "picked_up"])
        .prefetch_related("pickups__shop", "pickups__order")
        .order_by("drop_before", "pk")
    )


def job_for_courier(*, courier: Courier, job_id: int):
    from .models import DeliveryJob

    job = (
        DeliveryJob.objects.filter(pk=job_id, courier=courier)
        .prefetch_related(
            "pickups__shop__opening_hours", "pickups__shop__closures", "pickups__order", "events"
        )
        .first()
    )
    if job is None:
        raise Http404("No such job")
    return job


def earnings_by_week(*, courier: Courier, weeks: int = 8) -> list[dict]:
    import datetime

    from django.db.models import Count, Sum
    from django.db.models.functions import TruncWeek
    from django.utils import timezone

    from .models import DeliveryJob

    since = timezone.now() - datetime.timedelta(weeks=weeks)
    return list(
        DeliveryJob.objects.filter(courier=courier, status="delivered", delivered_at__gte=since)
        .annotate(week=TruncWeek("delivered_at"))
        .values("week")
        .annotate(jobs=Count("pk"), pay=Sum("courier_pay"), km=Sum("distance_km"))
        .order_by("-week")
    )


def dispatcher_collective(*, user, slug: str) -> Collective:
    """The collective if `user` dispatches for it; 404 otherwise (also for its couriers)."""
    if not user.is_authenticated:
        raise Http404("No such board")
    collective = Collective.objects.filter(
        slug=slug, couriers__user=user, couriers__is_dispatcher=True
    ).first()
    if collective is None:
        raise Http404("No such board")
    return collective


def board_jobs(*, collective: Collective):
    """Today's jobs and any still open or on the way, with late ones flagged."""
    from django.db.models import Q
    from django.utils import timezone

    from .models import DeliveryJob

    now = timezone.now()
    today = timezone.localdate()
    jobs = list(
        DeliveryJob.objects.filter(collective=collective)
        .filter(Q(created_at__date=today) | Q(status__in=["open", "claimed", "picked_up"]))
        .select_related("courier__user")
        .prefetch_related("pickups__shop")
        .order_by("drop_before", "pk")[:1000]
    )
    for job in jobs:
        job.is_late = job.status in ("open", "claimed", "picked_up") and job.drop_before < now
    return jobs


def payroll_rows(*, collective: Collective, first_day, last_day) -> list[list]:
    from django.db.models import Count, Sum

    from .models import DeliveryJob

    rows = (
        DeliveryJob.objects.filter(
            collective=collective,
            status="delivered",
            delivered_at__date__gte=first_day,
            delivered_at__date__lte=last_day,
        )
        .values("courier__user__email", "courier__user__display_name")
        .annotate(jobs=Count("pk"), km=Sum("distance_km"), pay=Sum("courier_pay"))
        .order_by("courier__user__email")
    )
    return [
        [
            r["courier__user__display_name"],
            r["courier__user__email"],
            r["jobs"],
            f"{r['km']:.1f}",
            f"{r['pay']:.2f}",
        ]
        for r in rows
    ]


# Jobs a courier is still working on, or may still be asked to: their pickups steer the order.
LIVE_JOB_STATUSES = ("open", "claimed", "picked_up")


def live_pickup_of(order):
    """The order's pickup on a delivery job still under way, or None (no job, or the job was
    returned or cancelled: then the shop delivers itself). Uses what is already loaded."""
    pickup = getattr(order, "pickup", None)
    if pickup is None or pickup.job.status not in LIVE_JOB_STATUSES:
        return None
    return pickup


def order_step_refusal(*, order, to_status: str) -> str | None:
    """Why a shop's move of `order` would make the order and its delivery job disagree, or
    None. The one rule both the order page (which steps to offer) and the services (which
    steps to allow) follow: the order leaves the shop only to the courier holding its job,
    and only the courier, with the customer's code, marks it delivered."""
    from django.utils.translation import gettext as _

    pickup = live_pickup_of(order)
    if pickup is None:
        return None
    if to_status == "out_for_delivery" and pickup.picked_up_at is None:
        if pickup.job.courier_id is None:
            return _("No courier has taken this delivery yet: hand it over once one has.")
    if to_status == "delivered":
        return _("The courier confirms the delivery with the customer's code.")
    return None


def jobs_called_off(*, courier: Courier, hours: int = 12):
    """The courier's jobs cancelled lately (every order on them was called off), with why."""
    import datetime

    from django.db.models import Prefetch
    from django.utils import timezone

    from .models import DeliveryJob, JobEvent

    since = timezone.now() - datetime.timedelta(hours=hours)
    return (
        DeliveryJob.objects.filter(courier=courier, status="cancelled", updated_at__gte=since)
        .prefetch_related(
            Prefetch(
                "events", queryset=JobEvent.objects.filter(to_status="cancelled"), to_attr="why"
            )
        )
        .order_by("-updated_at")[:10]
    )


def job_with_pickup_code(*, courier: Courier, code: str):
    """The courier's job (taken, not yet delivered) with a pickup still to make under
    `code`, or None."""
    from .models import DeliveryJob

    return (
        DeliveryJob.objects.filter(
            courier=courier,
            status__in=["claimed", "picked_up"],
            pickups__order__pickup_code=code,
            pickups__picked_up_at=None,
        )
        .order_by("drop_before", "pk")
        .first()
    )


def full_window_starts(*, collective_ids, since) -> dict[int, set]:
    """For each collective, the starts of its windows from `since` on with no place left at
    its current capacity. One query (the unique index on collective and start serves it)."""
    full: dict[int, set] = {collective_id: set() for collective_id in collective_ids}
    rows = DeliveryWindow.objects.filter(
        collective_id__in=list(full),
        starts_at__gte=since,
        taken__gte=F("collective__window_capacity"),
    ).values_list("collective_id", "starts_at")
    for collective_id, starts_at in rows:
        full[collective_id].add(starts_at)
    return full


def window_bookings(*, collective: Collective, now=None) -> list[DeliveryWindow]:
    """The collective's windows with rides booked that are not over yet, earliest first, for
    the dispatcher to plan shifts (the unique index on collective and start serves it)."""
    from django.utils import timezone

    return list(
        DeliveryWindow.objects.filter(
            collective=collective, ends_at__gt=now or timezone.now(), taken__gt=0
        ).order_by("starts_at")[:60]
    )
