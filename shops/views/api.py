"""The inventory API for tills and inventory systems: JSON in and out, one token per shop,
errors that say what to fix. Described by the OpenAPI document at /api/v1/openapi.json."""

import datetime
import functools
import json
import time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from orders.models import Order

from .. import catalogue_files, services
from ..api_schema import openapi_document
from ..exceptions import StockRefused
from ..models import Product
from ..services import stock as stock_service

MAX_BATCH = 1000
PAGE_SIZE = 100


def error(status: int, message: str, details=None, headers=None) -> JsonResponse:
    body = {"error": message}
    if details:
        body["details"] = details
    response = JsonResponse(body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def api_endpoint(*methods):
    """Token check (401), shop check (403), per-token rate limit (429), JSON body parsing
    (400) and method check (405), in that order; the view gets request.api_token."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, shop_id, *args, **kwargs):
            header = request.headers.get("Authorization", "")
            secret = header[7:].strip() if header.startswith("Bearer ") else ""
            token = services.api_token_authenticate(secret=secret) if secret else None
            if token is None:
                return error(
                    401,
                    "Send a valid, unrevoked token: Authorization: Bearer <token>.",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            if token.shop_id != shop_id:
                return error(403, "This token belongs to another shop.")
            window = int(time.time() // 60)
            key = f"api-rate-{token.pk}-{window}"
            cache.add(key, 0, 90)
            try:
                used = cache.incr(key)
            except ValueError:
                # The counter went between add and incr: Redis came back after an outage
                # (counted in this process's memory meanwhile, see marketplace.cache).
                cache.add(key, 1, 90)
                used = 1
            if used > settings.API_RATE_LIMIT_PER_MINUTE:
                return error(
                    429,
                    "Too many requests for this token; wait a minute.",
                    headers={"Retry-After": str(60 - int(time.time()) % 60)},
                )
            if request.method not in methods:
                return error(
                    405, f"Use {' or '.join(methods)} here.", headers={"Allow": ", ".join(methods)}
                )
            request.body_json = None
            if request.method in ("POST", "PUT"):
                try:
                    request.body_json = json.loads(request.body or b"null")
                except (ValueError, UnicodeDecodeError):
                    return error(400, "The body is not valid JSON.")
            request.api_token = token
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def parse_moment(text: str) -> datetime.datetime | None:
    """An ISO 8601 time as UTC (the database is given UTC, whatever offset was sent); None
    when it is not one."""
    try:
        moment = parse_datetime(text)
    except ValueError:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        return None


def product_json(product: Product) -> dict:
    return {
        "sku": product.sku,
        "title": product.title,
        "price": f"{product.price.amount:.2f}",
        "currency": str(product.price.currency),
        "vat_rate": catalogue_files._plain(product.vat_rate),
        "unit": product.unit,
        "stock_quantity": catalogue_files._plain(product.stock_quantity),
        "allocated_quantity": catalogue_files._plain(product.allocated_quantity),
        "always_available": product.always_available,
        "quantity_step": catalogue_files._plain(product.quantity_step)
        if product.quantity_step
        else None,
        "weight_kg": catalogue_files._plain(product.weight_kg)
        if product.weight_kg is not None
        else None,
        "volume_litres": catalogue_files._plain(product.volume_litres)
        if product.volume_litres is not None
        else None,
        "category": product.category.path if product.category_id else None,
        "labels": sorted(label.slug for label in product.labels.all()),
        "is_active": product.is_active,
        "description": product.description,
        "updated_at": product.updated_at.isoformat(),
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def parse_items(items) -> tuple[catalogue_files.ParsedFile | None, list]:
    """Check product items with the same rules as file imports; errors name the item."""
    if not isinstance(items, list) or not items:
        return None, [{"message": "Send a non-empty list of products."}]
    if len(items) > MAX_BATCH:
        return None, [{"message": f"At most {MAX_BATCH} products per request."}]
    problems = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append({"index": index, "message": "Each product is a JSON object."})
            continue
        unknown = sorted(set(item) - set(catalogue_files.COLUMNS))
        if unknown:
            problems.append({"index": index, "message": f"Unknown fields: {', '.join(unknown)}."})
    if problems:
        return None, problems
    header = [c for c in catalogue_files.COLUMNS if any(c in item for item in items)]
    table = [header] + [[_cell(item.get(c)) for c in header] for item in items]
    try:
        parsed = catalogue_files.parse(table)
    except catalogue_files.FileRefused as refused:
        return None, [{"message": str(refused.message)}]
    details = [
        {"index": e.row - 2, "field": e.column, "message": str(e.message)} for e in parsed.errors
    ]
    return parsed, details


@api_endpoint("GET")
def products(request):
    shop = request.api_token.shop
    queryset = shop.products.select_related("category").prefetch_related("labels").order_by("pk")
    if "updated_since" in request.GET:
        moment = parse_moment(request.GET["updated_since"])
        if moment is None:
            return error(400, "updated_since must be an ISO 8601 time, e.g. 2026-11-01T08:00:00Z.")
        queryset = queryset.filter(updated_at__gte=moment)
    after = request.GET.get("after", "0")
    if not after.isdigit():
        return error(400, "after must be a number from the previous page's next link.")
    page = list(queryset.filter(pk__gt=int(after))[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    next_url = None
    if more:
        query = request.GET.copy()
        query["after"] = str(page[-1].pk)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return JsonResponse({"results": [product_json(p) for p in page], "next": next_url})


@api_endpoint("PUT")
def product(request, sku):
    item = request.body_json
    if not isinstance(item, dict):
        return error(400, "Send the product as a JSON object.")
    if item.get("sku", sku) != sku:
        return error(400, "The SKU in the body differs from the SKU in the address.")
    parsed, details = parse_items([{**item, "sku": sku}])
    if details:
        return error(400, "The product was not saved.", details)
    with transaction.atomic():
        result = services.catalogue_upsert(shop=request.api_token.shop, parsed=parsed)
    saved = request.api_token.shop.products.prefetch_related("labels").get(sku=sku)
    return JsonResponse(product_json(saved), status=201 if result.created else 200)


@api_endpoint("POST")
def products_batch(request):
    items = (
        (request.body_json or {}).get("products") if isinstance(request.body_json, dict) else None
    )
    parsed, details = parse_items(items)
    if details:
        return error(
            400, "Nothing was saved: fix these products and send the batch again.", details
        )
    with transaction.atomic():
        result = services.catalogue_upsert(shop=request.api_token.shop, parsed=parsed)
    return JsonResponse(
        {
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": result.unchanged,
        }
    )


@api_endpoint("POST")
def stock(request):
    """Count stock absolutely (set: everything on the shelf, goods set aside for orders
    included) or change what is available by a delta, for many SKUs in one transaction."""
    changes = request.body_json.get("changes") if isinstance(request.body_json, dict) else None
    if not isinstance(changes, list) or not changes or len(changes) > MAX_BATCH:
        return error(400, f'Send {{"changes": [...]}} with 1 to {MAX_BATCH} items.')
    problems, wanted = [], []
    for index, change in enumerate(changes):
        if not isinstance(change, dict) or not isinstance(change.get("sku"), str):
            problems.append({"index": index, "message": "Each change needs a sku."})
            continue
        if ("set" in change) == ("delta" in change):
            problems.append({"index": index, "message": "Give either set or delta."})
            continue
        try:
            amount = Decimal(str(change.get("set", change.get("delta"))))
            if not amount.is_finite() or abs(amount) > 10**7:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            problems.append(
                {
                    "index": index,
                    "field": "set" if "set" in change else "delta",
                    "message": "Not a number.",
                }
            )
            continue
        absolute = "set" in change
        wanted.append(
            stock_service.StockChange(
                index=index,
                sku=change["sku"],
                on_hand=amount if absolute else None,
                delta=None if absolute else amount,
            )
        )
    if problems:
        return error(400, "No stock was changed.", problems)
    try:
        levels = stock_service.stock_adjust(shop=request.api_token.shop, changes=wanted)
    except StockRefused as refused:
        return error(400, "No stock was changed.", refused.problems)
    return JsonResponse({"stock": [stock_level_json(level) for level in levels]})


def stock_level_json(level: stock_service.StockLevel) -> dict:
    plain = catalogue_files._plain
    return {
        "sku": level.sku,
        "on_hand": plain(level.on_hand),
        "allocated": plain(level.allocated),
        "available": plain(level.available),
        # What tills written before allocations read: the same as available.
        "stock_quantity": plain(level.available),
    }


@api_endpoint("GET")
def orders(request):
    since_text = request.GET.get("since")
    since = parse_moment(since_text) if since_text else None
    if "since" in request.GET and since is None:
        return error(400, "since must be an ISO 8601 time, e.g. 2026-11-01T08:00:00Z.")
    since = since or datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    found = (
        Order.objects.filter(shop=request.api_token.shop, created_at__gte=since)
        .select_related("purchase")
        .prefetch_related("lines")
        .order_by("created_at", "pk")[:500]
    )
    return JsonResponse(
        {
            "results": [
                {
                    "number": order.number,
                    "status": order.status,
                    "fulfilment": order.fulfilment,
                    "created_at": order.created_at.isoformat(),
                    "pickup_from": order.pickup_from.isoformat() if order.pickup_from else None,
                    "total": f"{order.total.amount:.2f}",
                    "currency": str(order.total.currency),
                    "lines": [
                        {
                            "sku": line.sku,
                            "title": line.title,
                            "quantity": catalogue_files._plain(line.quantity),
                            "unit_price": f"{line.unit_price.amount:.2f}",
                        }
                        for line in order.lines.all()
                    ],
                }
                for order in found
            ]
        }
    )


def openapi(request):
    return JsonResponse(
        openapi_document(request.build_absolute_uri("/")), json_dumps_params={"indent": 2}
    )
