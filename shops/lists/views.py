"""Shopping lists: write a list, see where in town each thing is, plan the trip or have it
delivered, and put it all into the cart. Lists belong to an account, or to a visitor's
session until they log in; every URL answers 404 for someone else's list."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.geo import Point
from orders import selectors as order_selectors
from orders import services as order_services

from ..exceptions import ShoppingListError
from . import selectors, services
from .forms import AddLineForm, LineChangeForm, ShoppingListForm, StartForm


def _visitor_key_for_writing(request) -> str:
    """The visitor's key, made on their first list."""
    if request.user.is_authenticated:
        return ""
    key = selectors.visitor_key(request)
    if not key:
        key = request.session[selectors.SESSION_KEY] = services.new_visitor_key()
    return key


def _cart(request):
    return order_selectors.cart_for_request(request)


@require_http_methods(["GET", "POST"])
def list_index(request):
    form = ShoppingListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            shopping_list = services.shopping_list_create(
                owner=request.user if request.user.is_authenticated else None,
                visitor_key=_visitor_key_for_writing(request),
                text=form.cleaned_data["text"],
                name=form.cleaned_data["name"],
            )
        except ShoppingListError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect(shopping_list.get_absolute_url())
    lists = selectors.shopping_lists_for_request(request)
    page = Paginator(lists, selectors.LISTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "shops/shopping_list/index.html",
        {"form": form, "page": page},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def list_detail(request, list_id):
    """The list with its offers. POST: add a line, tick one off, pick an offer, remove
    one; htmx requests get the list's fragment back."""
    shopping_list = selectors.shopping_list_for_request(request=request, list_id=list_id)
    add_form = AddLineForm()
    status, line_error = 200, ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "add":
                add_form = AddLineForm(request.POST)
                if add_form.is_valid():
                    services.shopping_list_add_line(
                        shopping_list=shopping_list, text=add_form.cleaned_data["text"]
                    )
                    add_form = AddLineForm()
            elif action in ("line", "remove"):
                line = selectors.line_for_list(
                    shopping_list=shopping_list, line_id=_int(request.POST.get("line"))
                )
                change = LineChangeForm(request.POST)
                if action == "remove":
                    services.shopping_list_line_remove(line=line)
                elif change.is_valid():
                    services.shopping_list_line_change(
                        line=line,
                        done=change.cleaned_data["done"],
                        product_id=change.cleaned_data["product"],
                    )
                else:
                    raise ShoppingListError(_("That change could not be made; please try again."))
            else:
                raise ShoppingListError(_("That change could not be made; please try again."))
        except ShoppingListError as error:
            if action == "add":
                add_form.add_error("text", error.message)
            else:
                line_error = error.message
            # htmx swaps only successful answers: its fragment carries the message instead.
            status = 200 if request.htmx else 400
        else:
            if not request.htmx:
                return redirect(shopping_list.get_absolute_url())
    page = selectors.shopping_list_page(shopping_list=shopping_list, cart=_cart(request))
    template = "shops/shopping_list/detail.html"
    if request.htmx:
        template += "#list"
    response = render(
        request,
        template,
        {
            "page": page,
            "shopping_list": shopping_list,
            "add_form": add_form,
            "line_error": line_error,
        },
        status=status,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@require_http_methods(["GET", "POST"])
def list_edit(request, list_id):
    shopping_list = selectors.shopping_list_for_request(request=request, list_id=list_id)
    text = "\n".join(shopping_list.lines.order_by("position", "pk").values_list("text", flat=True))
    form = ShoppingListForm(
        request.POST or None, initial={"name": shopping_list.name, "text": text}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.shopping_list_rewrite(
                shopping_list=shopping_list,
                text=form.cleaned_data["text"],
                name=form.cleaned_data["name"],
            )
        except ShoppingListError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("List saved."))
            return redirect(shopping_list.get_absolute_url())
    return render(
        request,
        "shops/shopping_list/edit.html",
        {"form": form, "shopping_list": shopping_list},
        status=400 if form.errors else 200,
    )


def _start_form(shopping_list, data=None) -> StartForm:
    initial = {"place": shopping_list.start_label, "round_trip": shopping_list.round_trip}
    start = shopping_list.start
    if start is not None and not shopping_list.start_label:
        # A start set by position stays when only the time changes.
        initial.update(lat=start.latitude, lon=start.longitude)
    sets_off_at, departs_now = selectors.trip_departure(shopping_list, timezone.now())
    if not departs_now:
        initial.update(when="later", day=sets_off_at.date(), time=sets_off_at.time())
    return StartForm(data, initial=initial)


@require_http_methods(["GET", "POST"])
def list_trip(request, list_id):
    """The trip through town for the list's open lines, or its delivery; POST sets where
    the customer starts from."""
    shopping_list = selectors.shopping_list_for_request(request=request, list_id=list_id)
    form = _start_form(shopping_list, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        point = None
        if data.get("lat") is not None and data.get("lon") is not None:
            point = Point(data["lat"], data["lon"])
        try:
            services.shopping_list_set_start(
                shopping_list=shopping_list,
                point=point,
                place=data.get("place", ""),
                round_trip=data.get("round_trip", False),
                sets_off_at=form.sets_off_at,
            )
        except ShoppingListError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect(reverse("shopping_list:trip", kwargs={"list_id": shopping_list.pk}))
    trip = selectors.shopping_list_trip(shopping_list=shopping_list, cart=_cart(request))
    return render(
        request,
        "shops/shopping_list/trip.html",
        {
            "trip": trip,
            "page": trip.page,
            "shopping_list": shopping_list,
            "start_form": form,
            "map_data": selectors.map_data(trip),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def list_to_cart(request, list_id):
    """Everything chosen into the cart in one go: the trip's offers, the delivery's, or
    the list's chosen offers ("source")."""
    shopping_list = selectors.shopping_list_for_request(request=request, list_id=list_id)
    source = request.POST.get("source", "list")
    if source not in ("list", "trip", "delivery"):
        source = "list"
    trip = selectors.shopping_list_trip(shopping_list=shopping_list)
    picks = selectors.cart_picks(trip, source)
    back = (
        shopping_list.get_absolute_url()
        if source == "list"
        else reverse("shopping_list:trip", kwargs={"list_id": shopping_list.pk})
    )
    if not picks:
        if source != "list" and trip.start is None:
            messages.info(request, _("Say where you start from, then plan the trip."))
        else:
            messages.info(request, _("Nothing on this list can be bought in town right now."))
        return redirect(back)
    cart = order_services.cart_get_or_create(
        user=request.user,
        visitor_cart_id=request.session.get(order_selectors.SESSION_CART),
    )
    if not request.user.is_authenticated:
        request.session[order_selectors.SESSION_CART] = cart.pk
    added, problems = services.shopping_list_to_cart(
        shopping_list=shopping_list, cart=cart, picks=picks
    )
    if added:
        messages.success(
            request,
            ngettext(
                "%(count)s thing from your list is in the cart.",
                "%(count)s things from your list are in the cart.",
                len(added),
            )
            % {"count": len(added)},
        )
    for problem in problems:
        messages.error(request, problem)
    if source == "delivery" and added:
        messages.info(request, _("Choose delivery for each shop at checkout."))
    return redirect("orders:cart" if added else back)


@require_POST
def list_again(request, list_id):
    shopping_list = selectors.shopping_list_for_request(request=request, list_id=list_id)
    copy = services.shopping_list_copy(shopping_list=shopping_list)
    messages.success(request, _("A fresh copy of your list, nothing ticked off."))
    return redirect(copy.get_absolute_url())


@require_POST
def list_delete(request, list_id):
    shopping_list = selectors.shopping_list_for_request(request=request, list_id=list_id)
    services.shopping_list_delete(shopping_list=shopping_list)
    messages.success(request, _("List deleted."))
    return redirect("shopping_list:index")
