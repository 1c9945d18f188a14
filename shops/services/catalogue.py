"""Products as a shop manages them: create, edit, duplicate, bulk changes."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ..catalogue_cache import catalogue_changed
from ..models import Category, Product, Shop
from .stock import STOCK_FIELDS, product_save_keeping_stock, stock_set


def unique_slug(*, shop: Shop, title: str, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:200] or "product"
    taken = set(
        Product.objects.filter(shop=shop, slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def product_create(*, shop: Shop, labels=(), **fields) -> Product:
    product = Product(shop=shop, **fields)
    product.slug = unique_slug(shop=shop, title=product.title)
    product.full_clean()
    product.save()
    product.labels.set(labels)
    return product


@transaction.atomic
def product_update(*, product: Product, labels=None, **fields) -> Product:
    """Save the shop's edits. Stock is written only when `stock_quantity` is given (the shop
    changed it), through the stock service; the row's other stock figures are left as a
    checkout meanwhile made them."""
    available = fields.pop("stock_quantity", None)
    for name, value in fields.items():
        setattr(product, name, value)
    if "title" in fields:
        product.slug = unique_slug(shop=product.shop, title=product.title, exclude_pk=product.pk)
    product.full_clean(exclude=STOCK_FIELDS)
    product_save_keeping_stock(product)
    if available is not None:
        stock_set(shop=product.shop, product_ids=[product.pk], available=available)
    product.refresh_from_db(fields=STOCK_FIELDS)
    if labels is not None:
        product.labels.set(labels)
    return product


@transaction.atomic
def product_duplicate(*, product: Product) -> Product:
    """A copy to edit, inactive until the shop switches it on, with a free SKU."""
    labels = list(product.labels.all())
    copy = Product.objects.get(pk=product.pk)
    copy.pk = copy.id = None
    copy._state.adding = True
    copy.title = _("%(title)s (copy)") % {"title": product.title}
    copy.is_active = False
    # Nothing is set aside for the copy's orders; it has none.
    copy.allocated_quantity = Decimal("0")
    sku, n = f"{product.sku}-COPY", 2
    while Product.objects.filter(shop=product.shop, sku=sku).exists():
        sku, n = f"{product.sku}-COPY{n}", n + 1
    copy.sku = sku[:64]
    copy.slug = unique_slug(shop=product.shop, title=copy.title)
    copy.save()
    copy.labels.set(labels)
    return copy


class BulkAction:
    ACTIVATE = "activate"
    DEACTIVATE = "deactivate"
    PRICE_PERCENT = "price_percent"
    SET_STOCK = "set_stock"
    SET_CATEGORY = "set_category"


@dataclass
class BulkResult:
    changed: int


@transaction.atomic
def product_bulk_update(
    *, shop: Shop, product_ids: list[int], action: str, value=None, category: Category | None = None
) -> BulkResult:
    """Apply one change to the chosen products of `shop` only (ids of other shops are
    ignored). Prices change by a percentage, rounded to the cent, never below zero."""
    products = Product.objects.filter(shop=shop, pk__in=product_ids)
    catalogue_changed()
    if action == BulkAction.ACTIVATE:
        return BulkResult(products.update(is_active=True))
    if action == BulkAction.DEACTIVATE:
        return BulkResult(products.update(is_active=False))
    if action == BulkAction.SET_STOCK:
        return BulkResult(stock_set(shop=shop, product_ids=product_ids, available=Decimal(value)))
    if action == BulkAction.SET_CATEGORY:
        return BulkResult(products.update(category=category))
    if action == BulkAction.PRICE_PERCENT:
        factor = 1 + Decimal(value) / 100
        changed = 0
        for product in products.select_for_update().order_by("pk"):
            new_price = (product.price.amount * factor).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
            Product.objects.filter(pk=product.pk).update(price=max(new_price, Decimal("0")))
            changed += 1
        return BulkResult(changed)
    raise ValueError(f"unknown bulk action {action!r}")
