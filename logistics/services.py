"""Delivery jobs: made when shops have delivery orders ready, claimed by couriers (one job,
one courier), picked up and delivered with codes. Orders follow the job's progress."""

import datetime
import itertools
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace.geo import Point, distance_km
from orders.models import Order
from orders.services import order_transition
from shops.photos import clean_photo

from .exceptions import AlreadyDone, JobRefused, JobTaken, WindowFull
from .loads import goods_load
from .models import Collective, Courier, DeliveryJob, DeliveryWindow, JobEvent, JobPickup
from .selectors import live_pickup_of

S = DeliveryJob.Status
# For orders placed before customers chose windows: deliver within this time of being ready.
DELIVERY_WINDOW = datetime.timedelta(hours=3)
ACTIVE = [S.CLAIMED, S.PICKED_UP]


def _code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(4))


def _event(job, to_status, courier=None, note="", happened_at=None):
    JobEvent.objects.create(
        job=job,
        courier=courier,
        to_status=to_status,
        note=note[:300],
        happened_at=happened_at or timezone.now(),
    )


def ride_km(*, pickups: list[Point], drop: Point) -> Decimal:
    """The ride's length in km, to the metre: every pickup in order, then the drop-off."""
    stops = [*pickups, drop]
    return Decimal(str(round(sum(distance_km(a, b) for a, b in itertools.pairwise(stops)), 2)))


def courier_pay_for(*, collective: Collective, route_km: Decimal, currency) -> Money:
    """What a courier earns for a ride: the collective's base plus its rate per kilometre."""
    return _money(
        collective.courier_pay_base.amount + collective.courier_pay_per_km.amount * route_km,
        currency,
    )


def _route_km(job: DeliveryJob) -> Decimal:
    shops = [p.shop for p in job.pickups.select_related("shop").order_by("pk")]
    return ride_km(
        pickups=[Point(s.latitude, s.longitude) for s in shops],
        drop=Point(job.drop_latitude, job.drop_longitude),
    )


def _money(value: Decimal, currency) -> Money:
    return Money(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), currency)


@transaction.atomic
def delivery_window_reserve(
    *, collective: Collective, starts_at: datetime.datetime, ends_at: datetime.datetime
) -> DeliveryWindow:
    """Take one place (one ride) in the collective's window starting at `starts_at`.

    Race-safe: the window's row is made with INSERT … ON CONFLICT DO NOTHING, then one
    conditional UPDATE (`taken < capacity`) decides, so of many customers taking the last
    place at once exactly one gets it; the check constraint is the backstop. Raises
    WindowFull, having changed nothing. Call it inside the checkout's transaction."""
    capacity = collective.window_capacity
    DeliveryWindow.objects.bulk_create(
        [
            DeliveryWindow(
                collective=collective, starts_at=starts_at, ends_at=ends_at, capacity=capacity
            )
        ],
        ignore_conflicts=True,
    )
    won = DeliveryWindow.objects.filter(
        collective=collective, starts_at=starts_at, taken__lt=capacity
    ).update(taken=F("taken") + 1, capacity=capacity, ends_at=ends_at)
    if not won:
        raise WindowFull()
    return DeliveryWindow.objects.get(collective=collective, starts_at=starts_at)


@transaction.atomic
def delivery_window_release(*, window_id: int, purchase_id: int) -> bool:
    """Give the purchase's place in the window back once none of its orders riding in that
    window still goes ahead (all cancelled or rejected). The window row is locked before the
    check, so when two orders of one ride are cancelled at once the place comes back once.
    Returns whether a place was released."""
    DeliveryWindow.objects.select_for_update().filter(pk=window_id).first()
    ended = [Order.Status.REJECTED, Order.Status.CANCELLED, Order.Status.REFUNDED]
    still_riding = (
        Order.objects.filter(purchase_id=purchase_id, delivery_window_id=window_id)
        .exclude(status__in=ended)
        .exists()
    )
    if still_riding:
        return False
    return bool(
        DeliveryWindow.objects.filter(pk=window_id, taken__gt=0).update(taken=F("taken") - 1)
    )


@transaction.atomic
def delivery_job_for_order(*, order) -> DeliveryJob:
    """Put a delivery order that became ready on a job: the open job of the same purchase
    and address if there is one (one ride, several pickups), else a new one. Idempotent."""
    existing = JobPickup.objects.filter(order=order).select_related("job").first()
    if existing:
        return existing.job
    shop = order.shop
    collective = shop.delivery_collective
    if collective is None:
        raise JobRefused(_("This shop has no couriers' collective."))
    purchase = order.purchase
    job = (
        DeliveryJob.objects.select_for_update()
        .filter(
            purchase=purchase,
            collective=collective,
            status=S.OPEN,
            drop_latitude=order.delivery_latitude,
            drop_longitude=order.delivery_longitude,
        )
        .first()
    )
    now = timezone.now()
    if job is None:
        job = DeliveryJob.objects.create(
            collective=collective,
            purchase=purchase,
            drop_street=order.delivery_street,
            drop_postcode=order.delivery_postcode,
            drop_city=order.delivery_city,
            drop_latitude=order.delivery_latitude,
            drop_longitude=order.delivery_longitude,
            recipient_name=purchase.name,
            recipient_phone=purchase.phone,
            drop_after=order.delivery_from or now,
            drop_before=order.delivery_until or now + DELIVERY_WINDOW,
            delivery_code=_code(),
            fee=Money(0, order.delivery_fee.currency),
            courier_pay=Money(0, order.delivery_fee.currency),
        )
        _event(job, S.OPEN)
    JobPickup.objects.create(job=job, order=order, shop=shop)
    kg, litres = _order_load(order)
    job.weight_kg = min((job.weight_kg or 0) + kg, Decimal("99999"))
    job.volume_litres = min((job.volume_litres or 0) + litres, Decimal("99999"))
    job.fee = job.fee + order.delivery_fee
    _reprice(job)
    job.save()
    return job


def _order_load(order) -> tuple[Decimal, Decimal]:
    kg, litres = Decimal("0"), Decimal("0")
    for line in order.lines.select_related("product"):
        if line.product is not None:
            line_kg, line_litres = goods_load(line.product, line.quantity)
            kg, litres = kg + line_kg, litres + line_litres
    return kg, litres


def _reprice(job: DeliveryJob) -> None:
    """The route over the job's pickups and what the courier earns for it."""
    route = _route_km(job)
    job.distance_km = route
    job.courier_pay = courier_pay_for(
        collective=job.collective, route_km=route, currency=job.fee.currency
    )


def _load_of(courier: Courier) -> tuple[Decimal, Decimal]:
    totals = DeliveryJob.objects.filter(courier=courier, status__in=ACTIVE).aggregate(
        kg=Sum("weight_kg"), litres=Sum("volume_litres")
    )
    return totals["kg"] or Decimal("0"), totals["litres"] or Decimal("0")


def job_claim(*, job_id: int, courier: Courier) -> DeliveryJob:
    """Take an open job. Race-safe: one conditional UPDATE decides, so of many couriers
    claiming at once exactly one wins and the others get JobTaken. Refuses jobs that would
    exceed the courier's capacity or belong to another collective."""
    with transaction.atomic():
        locked_courier = Courier.objects.select_for_update().get(pk=courier.pk)
        job = DeliveryJob.objects.filter(pk=job_id, collective_id=courier.collective_id).first()
        if job is None:
            raise JobRefused(_("No such job in your collective."))
        if not locked_courier.on_shift:
            raise JobRefused(_("Start your shift to take jobs."))
        kg, litres = _load_of(locked_courier)
        if kg + job.weight_kg > locked_courier.capacity_kg or (
            litres + job.volume_litres > locked_courier.capacity_litres
        ):
            raise JobRefused(_("This job would be more than your vehicle carries."))
        if locked_courier.range_km is not None:
            riding = DeliveryJob.objects.filter(
                courier=locked_courier, status__in=ACTIVE
            ).aggregate(km=Sum("distance_km"))["km"] or Decimal("0")
            if riding + job.distance_km > locked_courier.range_km:
                raise JobRefused(_("This job would be further than your battery lasts."))
        now = timezone.now()
        won = DeliveryJob.objects.filter(pk=job_id, status=S.OPEN, courier=None).update(
            status=S.CLAIMED, courier=locked_courier, claimed_at=now, updated_at=now
        )
        if not won:
            raise JobTaken()
        _event(job, S.CLAIMED, locked_courier)
    job.refresh_from_db()
    return job


def _own_job(job_id: int, courier: Courier) -> DeliveryJob:
    job = DeliveryJob.objects.select_for_update().filter(pk=job_id, courier=courier).first()
    if job is None:
        raise JobRefused(_("This is not one of your jobs."))
    return job


@transaction.atomic
def job_unclaim(*, job_id: int, courier: Courier, reason: str) -> DeliveryJob:
    job = _own_job(job_id, courier)
    if job.status != S.CLAIMED or job.pickups.exclude(picked_up_at=None).exists():
        raise JobRefused(_("Only a job not yet picked up can be given back."))
    if not reason.strip():
        raise JobRefused(_("Say why you give the job back."))
    DeliveryJob.objects.filter(pk=job.pk).update(status=S.OPEN, courier=None, claimed_at=None)
    _event(job, S.OPEN, courier, note=reason)
    job.refresh_from_db()
    return job


@transaction.atomic
def job_pick_up(*, job_id: int, courier: Courier, code: str, happened_at=None) -> DeliveryJob:
    """The shop shows its order's pickup code (typed, or scanned from its QR code); the
    order goes out for delivery, and when every shop's order is collected the job is on its
    way. A wrong code, or one already used, raises JobRefused (AlreadyDone for a pickup
    already recorded, so a confirmation sent twice changes nothing). Locks the job, then the
    order, like every move of an order on a job."""
    job = _own_job(job_id, courier)
    code = code.strip().upper().replace(" ", "")
    pickup = job.pickups.select_related("order", "shop").filter(order__pickup_code=code).first()
    if pickup is not None and pickup.picked_up_at is not None:
        raise AlreadyDone(
            _("%(shop)s's order is already picked up; nothing changed.")
            % {"shop": pickup.shop.name}
        )
    if job.status not in (S.CLAIMED, S.PICKED_UP):
        raise JobRefused(_("This job is not waiting for a pickup."))
    if not code or pickup is None:
        raise JobRefused(_("This code does not match a pickup of this job."))
    if pickup.order.status != pickup.order.Status.READY:
        raise JobRefused(_("This order is not ready at the shop."))
    _record_pickup(job, pickup, happened_at or timezone.now())
    order_transition(
        order=pickup.order,
        to_status="out_for_delivery",
        actor=courier.user,
        note=_("With the courier."),
    )
    return job


def _record_pickup(job: DeliveryJob, pickup: JobPickup, moment) -> None:
    """The one place a pickup is recorded (the courier's code or the shop's handover): the
    job is picked up once every shop's order is, with its courier as the actor."""
    pickup.picked_up_at = moment
    pickup.save(update_fields=["picked_up_at"])
    if job.status == S.CLAIMED and not job.pickups.filter(picked_up_at=None).exists():
        job.status, job.picked_up_at = S.PICKED_UP, moment
        job.save(update_fields=["status", "picked_up_at", "updated_at"])
        _event(job, S.PICKED_UP, job.courier, happened_at=moment)


def delivery_job_lock_for_order(*, order_id: int) -> DeliveryJob | None:
    """Lock the delivery job an order is on, if any, before the order itself: every move of
    an order on a job locks job then order (the courier's side does the same), so a shop and
    a courier acting at once never deadlock."""
    job_id = JobPickup.objects.filter(order_id=order_id).values_list("job_id", flat=True).first()
    if job_id is None:
        return None
    return DeliveryJob.objects.select_for_update().get(pk=job_id)


def delivery_job_follow_order(*, order: Order, actor=None) -> None:
    """Keep an order's delivery job in step with the move the order just made, in the order's
    transaction (which locked the job, then the order; selectors.order_step_refusal already
    let the move through). A shop handing over to the courier holding the job records that
    shop's pickup for the courier; a cancelled order leaves its job (removing its pickup, or
    cancelling the job if it was the only one), and the courier sees why."""
    pickup = live_pickup_of(order)
    if pickup is None:
        return
    job = pickup.job
    if order.status == Order.Status.OUT_FOR_DELIVERY and pickup.picked_up_at is None:
        _record_pickup(job, pickup, timezone.now())
    elif order.status in (Order.Status.CANCELLED, Order.Status.REJECTED):
        _pickup_call_off(job, pickup, actor)


def _pickup_call_off(job: DeliveryJob, pickup: JobPickup, actor) -> None:
    order = pickup.order
    note = _("%(shop)s called off order %(number)s: do not pick it up.") % {
        "shop": pickup.shop.name,
        "number": order.number,
    }
    kg, litres = _order_load(order)
    pickup.delete()
    if not job.pickups.exists():
        job.status = S.CANCELLED
        job.save(update_fields=["status", "updated_at"])
        _event(job, S.CANCELLED, job.courier, note=note)
        return
    job.weight_kg = max(job.weight_kg - kg, Decimal("0"))
    job.volume_litres = max(job.volume_litres - litres, Decimal("0"))
    job.fee = job.fee - order.delivery_fee
    _reprice(job)
    # Only what the call-off changes: a claim made meanwhile is never written back.
    job.save(
        update_fields=[
            "weight_kg",
            "volume_litres",
            "fee",
            "distance_km",
            "courier_pay",
            "updated_at",
        ]
    )
    _event(job, job.status, job.courier, note=note)
    if job.status == S.CLAIMED and not job.pickups.filter(picked_up_at=None).exists():
        # The other shops' goods are already on the bike: the ride goes on to the customer.
        moment = timezone.now()
        job.status, job.picked_up_at = S.PICKED_UP, moment
        job.save(update_fields=["status", "picked_up_at", "updated_at"])
        _event(job, S.PICKED_UP, job.courier, happened_at=moment)


@transaction.atomic
def job_deliver(
    *, job_id: int, courier: Courier, code: str = "", photo=None, note: str = "", happened_at=None
) -> DeliveryJob:
    """Delivered with the customer's code, or with a photo and a note when nobody opens."""
    job = _own_job(job_id, courier)
    if job.status == S.DELIVERED and code and code.strip() == job.delivery_code:
        raise AlreadyDone(_("This delivery is already confirmed; nothing changed."))
    if job.status != S.PICKED_UP:
        raise JobRefused(_("Pick everything up before delivering."))
    if code:
        if code.strip() != job.delivery_code:
            raise JobRefused(_("This is not the customer's delivery code."))
    elif photo is None or not note.strip():
        raise JobRefused(_("Enter the customer's code, or add a photo and a note."))
    moment = happened_at or timezone.now()
    if photo is not None:
        content, _w, _h = clean_photo(photo)
        job.proof_photo.save(f"job-{job.pk}.{content.name.rsplit('.', 1)[-1]}", content, save=False)
    job.status, job.delivered_at, job.proof_note = S.DELIVERED, moment, note.strip()[:300]
    job.save(update_fields=["status", "delivered_at", "proof_note", "proof_photo", "updated_at"])
    _event(job, S.DELIVERED, courier, note=note, happened_at=moment)
    for pickup in job.pickups.select_related("order"):
        if pickup.order.status == pickup.order.Status.OUT_FOR_DELIVERY:
            order_transition(order=pickup.order, to_status="delivered")
    return job


@transaction.atomic
def job_report_problem(*, job_id: int, courier: Courier, note: str) -> DeliveryJob:
    """Could not deliver: the goods go back to the shops, which can send them again."""
    job = _own_job(job_id, courier)
    if job.status not in ACTIVE:
        raise JobRefused(_("This job is finished."))
    if not note.strip():
        raise JobRefused(_("Say what went wrong."))
    job.status = S.RETURNED
    job.save(update_fields=["status", "updated_at"])
    _event(job, S.RETURNED, courier, note=note)
    for pickup in job.pickups.select_related("order"):
        if pickup.order.status == pickup.order.Status.OUT_FOR_DELIVERY:
            order_transition(
                order=pickup.order,
                to_status="ready",
                note=_("Back at the shop: %(note)s") % {"note": note[:200]},
            )
    return job


@transaction.atomic
def courier_shift_set(*, courier: Courier, on_shift: bool) -> Courier:
    """Start or end a shift; only couriers on shift are offered and assigned delivery jobs."""
    Courier.objects.filter(pk=courier.pk).update(on_shift=on_shift)
    courier.on_shift = on_shift
    return courier


def delivery_personal_data_purge(*, older_than_days: int = 30) -> int:
    """Finished jobs keep what earnings need (distance, pay, times), not who or where."""
    cutoff = timezone.now() - datetime.timedelta(days=older_than_days)
    jobs = DeliveryJob.objects.filter(
        status__in=[S.DELIVERED, S.RETURNED, S.CANCELLED], updated_at__lt=cutoff
    ).exclude(recipient_name="", recipient_phone="", proof_note="")
    count = 0
    for job in jobs.iterator():
        if job.proof_photo:
            job.proof_photo.delete(save=False)
        DeliveryJob.objects.filter(pk=job.pk).update(
            recipient_name="",
            recipient_phone="",
            proof_note="",
            proof_photo="",
            drop_street=job.drop_area.split(",")[0],
            delivery_code="",
            drop_latitude=round(job.drop_latitude, 2),
            drop_longitude=round(job.drop_longitude, 2),
        )
        count += 1
    return count


def _assign(job: DeliveryJob, courier: Courier, by=None, note="") -> bool:
    """Give an open job to a courier; False if it was taken meanwhile (conditional update)."""
    now = timezone.now()
    won = DeliveryJob.objects.filter(pk=job.pk, status=S.OPEN, courier=None).update(
        status=S.CLAIMED, courier=courier, claimed_at=now, updated_at=now
    )
    if won:
        _event(job, S.CLAIMED, courier, note=note)
    return bool(won)


def jobs_auto_assign(*, collective_id: int, older_than_minutes: int | None = None) -> int:
    """Assign jobs nobody claimed in time to on-shift couriers with room, batching nearby
    jobs into one route (routing.assign_jobs). Safe to run again and alongside claims: each
    job is given by a conditional update, so a job claimed meanwhile is simply skipped."""
    from django.conf import settings

    from .routing import CourierToPlan, JobToPlan, assign_jobs

    minutes = (
        settings.JOB_AUTO_ASSIGN_AFTER_MINUTES if older_than_minutes is None else older_than_minutes
    )
    cutoff = timezone.now() - datetime.timedelta(minutes=minutes)
    jobs = list(
        DeliveryJob.objects.filter(
            collective_id=collective_id, status=S.OPEN, created_at__lte=cutoff
        )
        .prefetch_related("pickups__shop")
        .order_by("drop_before")[:2000]
    )
    couriers = list(Courier.objects.filter(collective_id=collective_id, on_shift=True))
    if not jobs or not couriers:
        return 0
    now = timezone.now()
    plan_couriers = []
    for courier in couriers:
        kg, litres = _load_of(courier)
        active = DeliveryJob.objects.filter(courier=courier, status__in=ACTIVE)
        position = _courier_position(courier)
        plan_couriers.append(
            CourierToPlan(
                courier.pk,
                position,
                capacity_kg=max(float(courier.capacity_kg - kg), 0),
                capacity_litres=max(float(courier.capacity_litres - litres), 0),
                max_jobs=max(6 - active.count(), 0),
            )
        )
    plan_couriers = [c for c in plan_couriers if c.max_jobs > 0]
    plan_jobs = []
    for job in jobs:
        first = job.pickups.all()[0].shop
        plan_jobs.append(
            JobToPlan(
                job.pk,
                Point(first.latitude, first.longitude),
                Point(job.drop_latitude, job.drop_longitude),
                float(job.weight_kg),
                float(job.volume_litres),
                int((job.drop_before - now).total_seconds()),
            )
        )
    result = assign_jobs(plan_couriers, plan_jobs)
    by_pk = {job.pk: job for job in jobs}
    couriers_by_pk = {c.pk: c for c in couriers}
    given = 0
    for courier_pk, stops in result.routes.items():
        for stop in stops:
            if stop.kind == "pickup":
                with transaction.atomic():
                    given += _assign(
                        by_pk[stop.job_id],
                        couriers_by_pk[courier_pk],
                        note=_("Assigned automatically."),
                    )
    return given


def _courier_position(courier: Courier) -> Point:
    """Where the courier is heading now: their last drop-off, or the node's centre."""
    from django.conf import settings

    last = (
        DeliveryJob.objects.filter(courier=courier, status__in=ACTIVE)
        .order_by("-drop_before")
        .values_list("drop_latitude", "drop_longitude")
        .first()
    )
    return Point(*last) if last else Point(*settings.NODE_CENTRE)


@transaction.atomic
def jobs_assign(*, collective_id: int, job_ids: list[int], courier: Courier | None, by) -> int:
    """A dispatcher assigns (or, with courier None, unassigns) jobs not yet picked up. A job
    with some shop's goods already on its courier's bike stays with that courier."""
    jobs = (
        DeliveryJob.objects.select_for_update()
        .filter(collective_id=collective_id, pk__in=job_ids, status__in=[S.OPEN, S.CLAIMED])
        .exclude(pickups__picked_up_at__isnull=False)
        .order_by("pk")
    )
    changed = 0
    now = timezone.now()
    for job in jobs:
        # Asked again under the lock: a pickup committed while we waited for it is not seen
        # by the query's own filter.
        if job.pickups.exclude(picked_up_at=None).exists():
            continue
        if courier is None:
            job.status, job.courier, job.claimed_at = S.OPEN, None, None
            _event(job, S.OPEN, note=_("Unassigned by %(name)s.") % {"name": by})
        else:
            job.status, job.courier, job.claimed_at = S.CLAIMED, courier, now
            _event(job, S.CLAIMED, courier, note=_("Assigned by %(name)s.") % {"name": by})
        job.save(update_fields=["status", "courier", "claimed_at", "updated_at"])
        changed += 1
    return changed


@transaction.atomic
def jobs_move(*, collective_id: int, from_courier: Courier, to_courier: Courier, by) -> int:
    """Move a courier's whole list (not yet picked up) to another courier, in its order.
    Raises JobRefused when both are the same courier."""
    if from_courier.pk == to_courier.pk:
        raise JobRefused(_("Choose two different couriers to move a list."))
    ids = list(
        DeliveryJob.objects.filter(
            collective_id=collective_id, courier=from_courier, status=S.CLAIMED
        )
        .order_by("drop_before", "pk")
        .values_list("pk", flat=True)
    )
    return jobs_assign(collective_id=collective_id, job_ids=ids, courier=to_courier, by=by)
