from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services


def courier_home(request):
    roles = selectors.courier_roles_of(user=request.user) if request.user.is_authenticated else []
    return render(
        request,
        "logistics/courier_home.html",
        {"roles": roles, "collectives": selectors.collective_list()},
    )


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
