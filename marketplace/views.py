import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from governance import selectors as governance_selectors
from logistics import selectors as logistics_selectors
from shops import selectors as shop_selectors
from shops.catalogue_cache import render_catalogue_page

from . import health, services, webapp
from .forms import ProfileForm


def home(request):
    def context():
        shops, shop_count = shop_selectors.shops_for_home()
        return {
            "shops": shop_selectors.shops_with_opening_state(shops),
            "shop_count": shop_count,
            "categories": shop_selectors.categories_top(),
        }

    return render_catalogue_page(
        request,
        "marketplace/home.html",
        context,
        vary_on=shop_selectors.home_opening_now(),
        shareable=not request.GET,
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
    """Liveness: the process answers. Touches nothing else, so a database outage does not get
    healthy web processes restarted; the hello-world baseline of the benchmarks too."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_safe
def readyz(request):
    """Readiness for load balancers and docker-compose: 200 when the database, its
    migrations, the cache and the broker answer, else 503; both name each part's state."""
    states = health.readiness()
    return JsonResponse(states, status=200 if health.is_ready(states) else 503)


# How long a browser or crawler is asked to wait before trying again after an outage.
RETRY_AFTER_SECONDS = 30


def server_error(request):
    """The page for an error nobody caught. A database that cannot answer now (down,
    restarting, a dropped connection) gets 503 with Retry-After: it will be back. Rendered
    from the node's settings alone, never the database, since that may be what failed."""
    context = {"SITE_NAME": settings.SITE_NAME}
    if health.database_unavailable(sys.exc_info()[1]):
        page = loader.render_to_string("503.html", context)
        return HttpResponse(page, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return HttpResponse(loader.render_to_string("500.html", context), status=500)


def manifest(request):
    """The public site as an installable app, under the node's name."""
    with webapp.requested_language(request):
        return webapp.manifest_response(
            name=settings.SITE_NAME,
            short_name=settings.SITE_NAME,
            description=_(
                "Shop from your town's independent shops, with same-day delivery by bike or pickup."
            ),
            start_url=reverse("marketplace:home"),
            scope=reverse("marketplace:home"),
            icons=webapp.app_icons("site"),
            shortcuts=[
                webapp.shortcut(name=_("Search all shops"), url=reverse("search"), app="site"),
                webapp.shortcut(name=_("Cart"), url=reverse("orders:cart"), app="site"),
            ],
        )


def service_worker(request):
    """The courier app's service worker was once served here for the whole site; browsers
    that registered it fetch it again to update, and the script retires itself when it
    finds itself registered for the root (each app now has its own, in its own scope)."""
    return webapp.service_worker_response()


def favicon(request):
    return webapp.favicon_response()
