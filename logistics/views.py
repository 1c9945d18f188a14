"""The courier app (phone-first) and the collective's pages. Couriers act only on their own
jobs; every fetch goes through a selector that checks it."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace import webapp
from marketplace.geo import Point
from shops.catalogue_files import write_csv
from shops.selectors import shop_opening_state

from . import selectors, services
from .exceptions import AlreadyDone, JobRefused
from .forms import CodeForm, DeliveryForm, ReasonForm


def courier_home(request):
    roles = selectors.courier_roles_of(user=request.user) if request.user.is_authenticated else []
    return render(
        request,
        "logistics/courier_home.html",
        {"roles": roles, "collectives": selectors.collective_list()},
    )


# The courier app as an installable app: public, since browsers fetch manifests without
# cookies.
@require_GET
def manifest(request):
    with webapp.requested_language(request):
        return webapp.manifest_response(
            name=_("%(site)s couriers") % {"site": settings.SITE_NAME},
            short_name=_("Deliveries"),
            description=_(
                "Take delivery jobs, pick up and deliver by bike, even without a connection."
            ),
            start_url=reverse("logistics:open_jobs"),
            scope=reverse("logistics:courier_home"),
            icons=webapp.app_icons("courier"),
            shortcuts=[
                webapp.shortcut(name=_("My route"), url=reverse("logistics:route"), app="courier"),
                webapp.shortcut(
                    name=_("My earnings"), url=reverse("logistics:earnings"), app="courier"
                ),
            ],
        )


@require_GET
def service_worker(request):
    """Served under /couriers/ so it controls the courier app and keeps its pages offline."""
    return webapp.service_worker_response()


def collective_detail(request, slug):
    return render(
        request,
        "logistics/collective_detail.html",
        {"collective": selectors.collective_get(slug=slug)},
    )


@login_required
@require_POST
def courier_shift(request, courier_id):
    courier = selectors.courier_for_user(user=request.user, courier_id=courier_id)
    on_shift = request.POST.get("on_shift") == "1"
    services.courier_shift_set(courier=courier, on_shift=on_shift)
    if on_shift:
        messages.success(request, _("You are on shift. Ride safely!"))
    else:
        messages.success(request, _("You are off shift."))
    return redirect("logistics:courier_home")


def _courier(request):
    courier = selectors.courier_of_user(user=request.user)
    if courier is None:
        raise Http404("Not a courier")
    return courier


def _point(request):
    try:
        lat, lon = float(request.GET["lat"]), float(request.GET["lon"])
    except (KeyError, ValueError):
        return None
    point = Point(lat, lon)
    return point if point.is_valid() else None


@login_required
@require_GET
def open_jobs(request):
    courier = _courier(request)
    context = {
        "courier": courier,
        "jobs": selectors.open_jobs_near(courier=courier, point=_point(request)),
        "my_jobs": selectors.jobs_of_courier(courier=courier),
        "called_off": selectors.jobs_called_off(courier=courier),
    }
    template = "logistics/open_jobs.html#job-list" if request.htmx else "logistics/open_jobs.html"
    return render(request, template, context)


@login_required
@require_POST
def job_claim(request, job_id):
    courier = _courier(request)
    try:
        services.job_claim(job_id=job_id, courier=courier)
    except JobRefused as refused:
        messages.error(request, refused.message)
        return redirect("logistics:open_jobs")
    messages.success(request, _("The job is yours."))
    return redirect("logistics:job", job_id=job_id)


@login_required
@require_GET
def job_detail(request, job_id):
    courier = _courier(request)
    job = selectors.job_for_courier(courier=courier, job_id=job_id)
    for pickup in job.pickups.all():
        # The pickup window: while the shop is open.
        pickup.window = shop_opening_state(shop=pickup.shop)
    return render(
        request,
        "logistics/job_detail.html",
        {
            "job": job,
            "courier": courier,
            # What shops or the dispatcher told the courier about this job.
            "notes": [event for event in job.events.all() if event.note],
            # Filled in when the courier's camera opened the shop's QR code.
            "code": request.GET.get("code", "").strip().upper()[:8],
            "code_form": CodeForm(),
            "delivery_form": DeliveryForm(),
            "reason_form": ReasonForm(),
        },
    )


def _when(form) -> object:
    """The time an offline confirmation was really made (sent later by the phone)."""
    moment = form.cleaned_data.get("happened_at") if form.is_valid() else None
    now = timezone.now()
    return moment if moment and moment <= now else None


@login_required
@require_GET
def pickup_by_code(request):
    """Where the shop's QR code leads: the courier's own job with that pickup, with the code
    filled in, ready to confirm with one tap."""
    courier = _courier(request)
    code = request.GET.get("code", "").strip().upper()[:8]
    job = selectors.job_with_pickup_code(courier=courier, code=code) if code else None
    if job is None:
        messages.error(
            request, _("None of your jobs has a pickup with this code. Take the job first.")
        )
        return redirect("logistics:open_jobs")
    return redirect(f"{reverse('logistics:job', kwargs={'job_id': job.pk})}?code={code}")


# The courier app sends confirmations queued offline with this header and reads the answer
# as JSON, so a refused one stays on the phone with the server's reason.
REPLAY_HEADER = "X-Offline-Replay"


@login_required
@require_POST
def job_action(request, job_id, action):
    courier = _courier(request)
    if request.headers.get(REPLAY_HEADER) and action in ("pickup", "deliver"):
        return _replay(request, job_id, action, courier)
    try:
        if action in ("pickup", "deliver"):
            message = _confirm(request, job_id, action, courier)
            messages.success(request, message)
            if action == "deliver":
                return redirect("logistics:open_jobs")
        elif action == "unclaim":
            services.job_unclaim(
                job_id=job_id, courier=courier, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("The job is open again for others."))
            return redirect("logistics:open_jobs")
        elif action == "problem":
            services.job_report_problem(
                job_id=job_id, courier=courier, note=request.POST.get("reason", "")
            )
            messages.success(request, _("Noted: the goods go back to the shop."))
            return redirect("logistics:open_jobs")
        else:
            raise Http404("No such action")
    except JobRefused as refused:
        messages.error(request, refused.message)
    except ValueError as refused:  # an unusable proof photo
        messages.error(request, str(getattr(refused, "message", refused)))
    return redirect("logistics:job", job_id=job_id)


def _confirm(request, job_id, action, courier) -> str:
    """The courier's pickup (the shop's code) or delivery (the customer's code, or a photo
    and a note), made now or, from the offline queue, when it happened; what to tell them."""
    if action == "pickup":
        services.job_pick_up(
            job_id=job_id,
            courier=courier,
            code=request.POST.get("code", ""),
            happened_at=_when(CodeForm(request.POST)),
        )
        return _("Picked up.")
    services.job_deliver(
        job_id=job_id,
        courier=courier,
        code=request.POST.get("code", ""),
        photo=request.FILES.get("photo"),
        note=request.POST.get("note", ""),
        happened_at=_when(DeliveryForm(request.POST, request.FILES)),
    )
    return _("Delivered. Thank you!")


def _replay(request, job_id, action, courier):
    """A pickup or delivery confirmed offline, sent when the phone is back online: 200 with
    the outcome (also when it had already been recorded: sending twice is harmless), 409 with
    the server's reason when refused. Nothing changes on a refusal."""
    try:
        message = _confirm(request, job_id, action, courier)
    except AlreadyDone as done:
        return JsonResponse({"ok": True, "message": str(done.message)})
    except JobRefused as refused:
        return JsonResponse({"ok": False, "message": str(refused.message)}, status=409)
    messages.success(request, message)
    return JsonResponse({"ok": True, "message": message})


@login_required
@require_GET
def earnings(request):
    courier = _courier(request)
    return render(
        request,
        "logistics/earnings.html",
        {"courier": courier, "weeks": selectors.earnings_by_week(courier=courier)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def board(request, slug):
    """The collective's dispatcher board: every job of today, late ones flagged; assign,
    unassign, move a courier's list, or run the automatic assignment now."""
    collective = selectors.dispatcher_collective(user=request.user, slug=slug)
    if request.method == "POST":
        action = request.POST.get("action")
        couriers = {str(c.pk): c for c in collective.couriers.all()}
        target = couriers.get(request.POST.get("courier", ""))
        ids = [int(x) for x in request.POST.getlist("jobs") if x.isdigit()]
        if action == "assign" and ids:
            count = services.jobs_assign(
                collective_id=collective.pk, job_ids=ids, courier=target, by=request.user
            )
            messages.success(request, _("%(count)s jobs changed.") % {"count": count})
        elif action == "move" and target and request.POST.get("from") in couriers:
            try:
                count = services.jobs_move(
                    collective_id=collective.pk,
                    from_courier=couriers[request.POST["from"]],
                    to_courier=target,
                    by=request.user,
                )
            except JobRefused as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, _("%(count)s jobs moved.") % {"count": count})
        elif action == "auto":
            count = services.jobs_auto_assign(collective_id=collective.pk, older_than_minutes=0)
            messages.success(request, _("%(count)s jobs assigned.") % {"count": count})
        else:
            messages.error(request, _("Choose jobs and a courier first."))
        return redirect("logistics:board", slug=slug)
    jobs = selectors.board_jobs(collective=collective)
    return render(
        request,
        "logistics/board.html",
        {
            "collective": collective,
            "jobs": jobs,
            "windows": selectors.window_bookings(collective=collective),
            "couriers": collective.couriers.select_related("user").order_by("-on_shift", "pk"),
            "map_data": {
                "tileUrl": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
                "centre": list(settings.NODE_CENTRE),
                "markers": [
                    {
                        "name": f"{job.pk}: {job.drop_area}",
                        "lat": job.drop_latitude,
                        "lon": job.drop_longitude,
                        "address": job.get_status_display(),
                    }
                    for job in jobs
                    if job.status in ("open", "claimed", "picked_up")
                ],
            },
        },
    )


@login_required
@require_GET
def payroll(request, slug):
    collective = selectors.dispatcher_collective(user=request.user, slug=slug)
    today = timezone.localdate()
    first = today - datetime.timedelta(days=today.weekday() + 7)
    last = first + datetime.timedelta(days=6)
    rows = [["name", "email", "jobs", "km", "pay"]] + selectors.payroll_rows(
        collective=collective, first_day=first, last_day=last
    )
    response = HttpResponse(write_csv(rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="payroll-{first}-{last}.csv"'
    return response


@login_required
@require_GET
def my_route(request):
    """The courier's jobs as one ride: stops in order (pickups before their drop-offs), on a
    map and as a list, with distance and riding time."""
    from .routing import JobToPlan, plan_route, route_km, route_minutes

    courier = _courier(request)
    jobs = list(selectors.jobs_of_courier(courier=courier))
    start = _point(request)
    if start is None and jobs:
        first = jobs[0].pickups.all()[0].shop
        start = Point(first.latitude, first.longitude)
    plan, names = [], {}
    for job in jobs:
        shop = job.pickups.all()[0].shop
        drop = Point(job.drop_latitude, job.drop_longitude)
        # Already on the bike: the pickup is where the courier is.
        pickup = start if job.status == "picked_up" else Point(shop.latitude, shop.longitude)
        plan.append(JobToPlan(job.pk, pickup, drop))
        names[job.pk] = (job, shop)
    stops = plan_route(start, plan) if plan else []
    visible = [
        (stop, *names[stop.job_id])
        for stop in stops
        if not (stop.kind == "pickup" and names[stop.job_id][0].status == "picked_up")
    ]
    km = route_km(start, stops) if stops else 0.0
    return render(
        request,
        "logistics/route.html",
        {
            "stops": visible,
            "km": km,
            "minutes": route_minutes(km),
            "map_data": {
                "tileUrl": settings.MAP_TILE_URL,
                "attribution": settings.MAP_TILE_ATTRIBUTION,
                "centre": [start.latitude, start.longitude]
                if start
                else list(settings.NODE_CENTRE),
                "markers": [
                    {
                        "name": f"{n}. {shop.name if stop.kind == 'pickup' else job.drop_street}",
                        "lat": stop.point.latitude,
                        "lon": stop.point.longitude,
                    }
                    for n, (stop, job, shop) in enumerate(visible, start=1)
                ],
            },
        },
    )
