"""The shop's dashboard: everything a shop runs without Django's admin. Every view fetches
the shop through selectors.shop_for_member, so another shop's id is a 404."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.charts import bar_chart
from orders import selectors as order_selectors
from orders.models import Order

from .. import catalogue_files, selectors, services
from ..dashboard import render_dashboard
from ..dashboard_filters import DashboardProductFilter
from ..forms import (
    BulkProductForm,
    ClosureFormSet,
    InvitationForm,
    OpeningHoursFormSet,
    ProductForm,
    ProductImportForm,
    ReportPeriodForm,
    ShopSettingsForm,
)
from ..models import ShopMembership


@login_required
@require_GET
def dashboard_start(request):
    """The dashboard of the person's shop, or a choice when they work in several."""
    shops = list(selectors.shops_of_member(user=request.user))
    if len(shops) == 1:
        return redirect("dashboard:home", shop_id=shops[0].pk)
    return render(request, "shops/dashboard/choose_shop.html", {"shops": shops})


def _money(value) -> str:
    from django.conf import settings
    from djmoney.money import Money

    return str(Money(value, settings.DEFAULT_CURRENCY))


@login_required
@require_GET
def dashboard_home(request, shop_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    today = timezone.localdate()
    month = order_selectors.sales_by_day(
        shop=shop, first_day=today - datetime.timedelta(days=29), last_day=today
    )

    def label(day):
        return formats.date_format(day, "D j M")

    orders = order_selectors.order_counts_today(shop=shop)
    statuses = dict(Order.Status.choices)
    return render_dashboard(
        request,
        "shops/dashboard/home.html",
        {
            "shop": shop,
            "orders": orders,
            "today_counts": [(statuses[s], n) for s, n in orders["today"].items()],
            "low_stock": selectors.products_low_on_stock(shop=shop),
            "tasks": selectors.catalogue_tasks(shop=shop),
            "week_chart": bar_chart([(label(d), v) for d, v in month[-7:]], display=_money),
            "month_chart": bar_chart([(label(d), v) for d, v in month], display=_money),
        },
    )


@login_required
@require_GET
def product_list(request, shop_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    filterset = DashboardProductFilter(
        request.GET or None, queryset=selectors.products_for_dashboard(shop=shop)
    )
    products = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    page = Paginator(products, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render_dashboard(
        request,
        "shops/dashboard/product_list.html",
        {
            "shop": shop,
            "page": page,
            "filter": filterset,
            "querystring": query.urlencode(),
            "bulk_form": BulkProductForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request, shop_id, product_id=None):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    product = selectors.product_for_member(shop=shop, product_id=product_id) if product_id else None
    initial = {"title": request.GET.get("title", "")[:200]} if product is None else None
    form = ProductForm(request.POST or None, instance=product, shop=shop, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if product is None:
                product = services.product_create(
                    shop=shop, labels=form.cleaned_data["labels"], **form.product_fields()
                )
                messages.success(request, _("%(title)s is created.") % {"title": product.title})
            else:
                services.product_update(
                    product=product, labels=form.cleaned_data["labels"], **form.product_fields()
                )
                messages.success(request, _("%(title)s is saved.") % {"title": product.title})
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("dashboard:product", shop_id=shop.pk, product_id=product.pk)
    return render_dashboard(
        request,
        "shops/dashboard/product_form.html",
        {"shop": shop, "product": product, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def product_duplicate(request, shop_id, product_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    product = selectors.product_for_member(shop=shop, product_id=product_id)
    copy = services.product_duplicate(product=product)
    messages.success(request, _("A copy is made; it stays inactive until you switch it on."))
    return redirect("dashboard:product", shop_id=shop.pk, product_id=copy.pk)


@login_required
@require_POST
def product_bulk(request, shop_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    ids = [int(pk) for pk in request.POST.getlist("products") if pk.isdigit()]
    # Ids of other shops' products are dropped here; the service filters by shop again.
    own_ids = list(shop.products.filter(pk__in=ids).values_list("pk", flat=True))
    data = request.POST.copy()
    data.setlist("products", [str(pk) for pk in own_ids])
    form = BulkProductForm(data, product_ids=own_ids)
    if not own_ids:
        messages.error(request, _("Tick the products to change first."))
    elif not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        result = services.product_bulk_update(
            shop=shop,
            product_ids=form.cleaned_data["products"],
            action=form.cleaned_data["action"],
            value=form.cleaned_data.get("value"),
            category=form.cleaned_data.get("category"),
        )
        messages.success(
            request,
            ngettext("%(count)s product changed.", "%(count)s products changed.", result.changed)
            % {"count": result.changed},
        )
    listing = reverse("dashboard:products", kwargs={"shop_id": shop.pk})
    back = request.POST.get("back", "")
    return redirect(f"{listing}?{back}" if back else listing)


@login_required
@require_POST
def product_photo_order(request, shop_id, product_id, photo_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    product = selectors.product_for_member(shop=shop, product_id=product_id)
    photo = product.photos.filter(pk=photo_id).first()
    if photo is not None:
        move = request.POST.get("move")
        if move == "delete":
            services.product_photo_delete(photo=photo)
        else:
            services.product_photo_move(
                photo=photo, to_front=move == "main", step={"up": -1, "down": 1}.get(move, 0)
            )
    return redirect("dashboard:product", shop_id=shop.pk, product_id=product.pk)


# Import and export ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def product_import(request, shop_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    form = ProductImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        product_import = services.product_import_preview(
            shop=shop, user=request.user, upload=form.cleaned_data["file"]
        )
        return redirect("dashboard:import", shop_id=shop.pk, import_id=product_import.pk)
    return render_dashboard(
        request,
        "shops/dashboard/import.html",
        {"shop": shop, "form": form, "imports": shop.imports.all()[:10]},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_import_detail(request, shop_id, import_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    product_import = selectors.import_for_shop(shop=shop, import_id=import_id)
    if request.method == "POST":
        product_import = services.product_import_start(product_import=product_import)
        return redirect("dashboard:import", shop_id=shop.pk, import_id=product_import.pk)
    context = {
        "shop": shop,
        "product_import": product_import,
        "progress": services.import_progress(product_import=product_import),
        "errors": product_import.errors[:500],
    }
    if request.htmx:
        return render_dashboard(request, "shops/dashboard/import_detail.html#status", context)
    return render_dashboard(request, "shops/dashboard/import_detail.html", context)


@login_required
@require_GET
def product_export(request, shop_id, file_format):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    if file_format not in ("csv", "xlsx"):
        raise Http404("No such format")
    rows = catalogue_files.export_rows(selectors.products_for_export(shop=shop))
    stamp = timezone.localdate().isoformat()
    if file_format == "xlsx":
        content = catalogue_files.write_xlsx(rows)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content, kind = catalogue_files.write_csv(rows), "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = (
        f'attachment; filename="{shop.slug}-products-{stamp}.{file_format}"'
    )
    return response


# API tokens (owners only) --------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request, shop_id):
    shop = selectors.shop_for_owner(user=request.user, shop_id=shop_id)
    new_secret = None
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if not name:
            messages.error(request, _("Give the token a name, such as the till it is for."))
        else:
            _token, new_secret = services.api_token_create(shop=shop, name=name, user=request.user)
    return render_dashboard(
        request,
        "shops/dashboard/api_tokens.html",
        {
            "shop": shop,
            "role": "owner",
            "tokens": shop.api_tokens.all(),
            "new_secret": new_secret,
            "api_base": request.build_absolute_uri(f"/api/v1/shops/{shop.pk}/"),
        },
    )


@login_required
@require_POST
def api_token_revoke(request, shop_id, token_id):
    shop = selectors.shop_for_owner(user=request.user, shop_id=shop_id)
    token = shop.api_tokens.filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token")
    services.api_token_revoke(token=token)
    messages.success(request, _("The token is revoked; it no longer works."))
    return redirect("dashboard:api_tokens", shop_id=shop.pk)


@login_required
@require_GET
def demand(request, shop_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    return render_dashboard(
        request,
        "shops/dashboard/demand.html",
        {"shop": shop, "signals": selectors.demand_signals()},
    )


@login_required
@require_GET
def reports(request, shop_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    today = timezone.localdate()
    defaults = {"first_day": str(today - datetime.timedelta(days=29)), "last_day": str(today)}
    form = ReportPeriodForm({**defaults, **request.GET.dict()})
    if not form.is_valid():
        return render_dashboard(
            request, "shops/dashboard/reports.html", {"shop": shop, "form": form}, status=400
        )
    first, last = form.cleaned_data["first_day"], form.cleaned_data["last_day"]
    report = order_selectors.shop_report(shop=shop, first_day=first, last_day=last)
    kind = request.GET.get("download")
    if kind in ("products", "days"):
        if kind == "products":
            rows = [["sku", "title", "quantity", "orders", "revenue"]] + [
                [
                    r["sku"],
                    r["title"],
                    catalogue_files._plain(r["quantity"]),
                    r["orders"],
                    f"{r['revenue']:.2f}",
                ]
                for r in report["by_product"]
            ]
        else:
            rows = [["day", "sales"]] + [[d.isoformat(), f"{v:.2f}"] for d, v in report["by_day"]]
        response = HttpResponse(catalogue_files.write_csv(rows), content_type="text/csv")
        response["Content-Disposition"] = (
            f'attachment; filename="{shop.slug}-{kind}-{first}-{last}.csv"'
        )
        return response
    statuses = dict(Order.Status.choices)
    return render_dashboard(
        request,
        "shops/dashboard/reports.html",
        {
            "shop": shop,
            "form": form,
            "report": report,
            "statuses": [(statuses[row["status"]], row["n"]) for row in report["by_status"]],
            "chart": bar_chart(
                [(formats.date_format(d, "D j M"), v) for d, v in report["by_day"]],
                display=_money,
            ),
            "querystring": f"first_day={first}&last_day={last}",
        },
    )


# Settings and team (owners) ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def shop_settings(request, shop_id):
    shop = selectors.shop_for_owner(user=request.user, shop_id=shop_id)
    data = request.POST or None
    form = ShopSettingsForm(data, request.FILES or None, instance=shop)
    hours = OpeningHoursFormSet(data, instance=shop, prefix="hours")
    closures = ClosureFormSet(data, instance=shop, prefix="closures")
    if request.method == "POST":
        if form.is_valid() and hours.is_valid() and closures.is_valid():
            with transaction.atomic():
                form.save()
                hours.save()
                closures.save()
            messages.success(request, _("Your shop's settings are saved."))
            return redirect("dashboard:settings", shop_id=shop.pk)
    return render_dashboard(
        request,
        "shops/dashboard/settings.html",
        {"shop": shop, "form": form, "hours": hours, "closures": closures},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def team(request, shop_id):
    shop = selectors.shop_for_owner(user=request.user, shop_id=shop_id)
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "invite" and form.is_valid():
                services.team_invite(
                    shop=shop,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=request.user,
                    accept_url=lambda token: request.build_absolute_uri(
                        reverse("dashboard:invitation", kwargs={"token": token})
                    ),
                )
                messages.success(request, _("The invitation is on its way."))
                return redirect("dashboard:team", shop_id=shop.pk)
            if action in ("role", "remove"):
                services.team_member_change(
                    shop=shop,
                    membership_id=int(request.POST.get("member", "0") or 0),
                    role=request.POST.get("role"),
                    remove=action == "remove",
                )
                messages.success(request, _("The team is updated."))
                return redirect("dashboard:team", shop_id=shop.pk)
        except services.TeamError as error:
            messages.error(request, error.message)
    return render_dashboard(
        request,
        "shops/dashboard/team.html",
        {
            "shop": shop,
            "form": form,
            "members": shop.memberships.select_related("user").order_by("role", "user__email"),
            "invitations": shop.invitations.filter(accepted_at=None)[:20],
            "roles": ShopMembership.Role.choices,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request, token):
    if request.method == "POST":
        try:
            membership = services.team_invitation_accept(token=token, user=request.user)
        except services.TeamError as error:
            messages.error(request, error.message)
            return redirect("dashboard:start")
        messages.success(
            request, _("Welcome to the team of %(shop)s.") % {"shop": membership.shop.name}
        )
        return redirect("dashboard:home", shop_id=membership.shop_id)
    return render(request, "shops/dashboard/invitation.html", {"token": token})
