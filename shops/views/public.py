from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import catalogue_cache, selectors, services
from ..exceptions import InvalidPhoto
from ..forms import ProductPhotoForm
from ..quantities import format_quantity, quantity_step


def _map_settings():
    return {
        "tileUrl": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "centre": list(settings.NODE_CENTRE),
    }


def shop_list(request):
    shops = selectors.shop_list()
    page = Paginator(shops, 48).get_page(request.GET.get("page"))
    markers = [
        {
            "name": shop.name,
            "lat": shop.latitude,
            "lon": shop.longitude,
            "url": shop.get_absolute_url(),
            "address": shop.address,
        }
        for shop in page
    ]
    return render(
        request,
        "shops/shop_list.html",
        {
            "page": page,
            "shops": selectors.shops_with_opening_state(page),
            "map_data": {**_map_settings(), "markers": markers},
        },
    )


def shop_detail(request, slug):
    page_number = request.GET.get("page")

    def context():
        shop = selectors.shop_get_public(slug=slug)
        page = selectors.shop_products_page(shop=shop, page_number=page_number)
        # The grid is the same for everyone until the catalogue changes: rendered once.
        products_html = catalogue_cache.cached(
            catalogue_cache.cache_key("shop-products", shop.pk, page.number, get_language()),
            lambda: render_to_string("shops/includes/shop_products.html", {"page": page}),
        )
        return {
            "shop": shop,
            "products_html": mark_safe(products_html),  # our own template's output
            "opening": selectors.shop_opening_state(shop=shop),
            "week": selectors.opening_hours_by_weekday(shop=shop),
            "is_member": selectors.user_is_shop_member(user=request.user, shop=shop),
            "map_data": {
                **_map_settings(),
                "centre": [shop.latitude, shop.longitude],
                "markers": [
                    {
                        "name": shop.name,
                        "lat": shop.latitude,
                        "lon": shop.longitude,
                        "address": shop.address,
                    }
                ],
            },
        }

    return catalogue_cache.render_catalogue_page(
        request,
        "shops/shop_detail.html",
        context,
        # Whether it is open, and which day the hours mark as today.
        vary_on=[selectors.shop_opening_now(shop_slug=slug), timezone.localdate()],
        shareable=set(request.GET) <= {"page"},
    )


def product_detail(request, shop_slug, slug):
    def context():
        product = selectors.product_get_public(shop_slug=shop_slug, slug=slug)
        return {
            "product": product,
            "shop": product.shop,
            "opening": selectors.shop_opening_now(shop_slug=shop_slug),
            "is_member": selectors.user_is_shop_member(user=request.user, shop=product.shop),
            "step": format_quantity(quantity_step(product)),
        }

    return catalogue_cache.render_catalogue_page(
        request,
        "shops/product_detail.html",
        context,
        vary_on=[selectors.shop_opening_now(shop_slug=shop_slug)],
        shareable=not request.GET,
    )


@login_required
@require_http_methods(["GET", "POST"])
def product_photo_add(request, shop_id, product_id):
    shop = selectors.shop_for_member(user=request.user, shop_id=shop_id)
    product = shop.products.filter(pk=product_id).first()
    if product is None:
        raise Http404("No such product")
    form = ProductPhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.product_photo_add(
                product=product,
                upload=form.cleaned_data["image"],
                alt_text=form.cleaned_data["alt_text"],
            )
        except InvalidPhoto as error:
            form.add_error("image", error.message)
        else:
            messages.success(request, _("Photo added."))
            return redirect("dashboard:product", shop_id=shop.pk, product_id=product.pk)
    status = 400 if form.errors else 200
    return render(
        request,
        "shops/product_photo_form.html",
        {"form": form, "product": product, "shop": shop},
        status=status,
    )


def search(request):
    # What the page lists depends on its parameters, the language and the catalogue alone:
    # rendered once and kept until the catalogue changes (shops.catalogue_cache).
    key = catalogue_cache.cache_key("search-page", get_language(), sorted(request.GET.lists()))
    page = cache.get(key)
    if page is None:
        page = _search_page(request.GET)
        cache.set(key, page, catalogue_cache.TIMEOUT)
    first_page = str(request.GET.get("page", "1")) in ("", "1")
    if page["wanted"] and first_page:
        services.unmet_search_record(term=page["query"], area=page["area"])
    html = mark_safe(page["html"])  # our own template's output
    if request.htmx:
        response = HttpResponse(html)
        # The same URL answers with a fragment for htmx: caches must keep both apart.
        patch_vary_headers(response, ["HX-Request"])
        return response
    return catalogue_cache.render_catalogue_page(
        request, "shops/search.html", lambda: {"page_html": html, "query": page["query"]}
    )


def _search_page(params) -> dict:
    """The search page's filters and results as HTML, with what the view needs besides."""
    result = selectors.product_search(params=params, page_number=params.get("page"))
    # Only a term with no close match anywhere tells the shops what people want.
    wanted = result.found_nowhere
    query_without_page = params.copy()
    query_without_page.pop("page", None)
    suggestion_query = ""
    if result.suggestion:
        suggestion_query = query_without_page.copy()
        suggestion_query["q"] = result.suggestion
        suggestion_query = suggestion_query.urlencode()
    html = render_to_string(
        "shops/includes/search_page.html",
        {
            "result": result,
            "form": result.filterset.form,
            "page": result.page,
            "querystring": query_without_page.urlencode(),
            "suggestion_query": suggestion_query,
            "wanted": wanted,
        },
    )
    return {
        "html": html,
        "query": result.query,
        "wanted": wanted,
        "area": _rough_area(result) if wanted else "",
    }


def _rough_area(result) -> str:
    """A postcode, or the position rounded to about a kilometre: enough to say where demand
    is, too coarse to say who."""
    data = getattr(result.filterset.form, "cleaned_data", {}) or {}
    if data.get("postcode"):
        return data["postcode"].strip().upper()[:12]
    place = getattr(result.filterset.form, "place", None)
    if place is not None:
        return f"{place.latitude:.2f},{place.longitude:.2f}"
    return ""
