from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from governance import selectors as governance_selectors
from logistics import selectors as logistics_selectors
from shops import selectors as shop_selectors
from shops.filters import ProductSearchFilter

from . import services
from .forms import ProfileForm


def home(request):
    shops = shop_selectors.shops_with_opening_state(shop_selectors.shop_list()[:8])
    return render(
        request,
        "marketplace/home.html",
        {
            "shops": shops,
            "search_form": ProductSearchFilter().form,
            "shop_count": shop_selectors.shops_active().count(),
            "categories": shop_selectors.categories_top(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your profile is saved."))
        return redirect("marketplace:profile")
    return render(
        request,
        "marketplace/profile.html",
        {
            "form": form,
            "shops": shop_selectors.shops_of_member(user=request.user),
            "courier_roles": logistics_selectors.courier_roles_of(user=request.user),
            "memberships": governance_selectors.member_entries_of(user=request.user),
        },
        status=400 if form.errors else 200,
    )


def healthz(request):
    """Liveness for load balancers, and the hello-world baseline of the benchmarks."""
    return HttpResponse("ok", content_type="text/plain")


def service_worker(request):
    """The courier app's service worker, served from the root so it may cover /couriers/."""
    from django.contrib.staticfiles import finders

    path = finders.find("js/service-worker.js")
    with open(path, "rb") as source:
        response = HttpResponse(source.read(), content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response
