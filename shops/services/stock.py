"""Stock: the one place that changes how many of a product a shop has.

A product's goods in the shop are counted in two parts: `stock_quantity`, available to sell
(what search, pages and the API read), and `allocated_quantity`, set aside for open orders
and still on the premises until collected or handed to a courier. On hand = both together,
so a till's shelf count, which includes the goods set aside, never sells them twice.

Every write locks the product rows in primary-key order (opposite baskets never deadlock);
the CheckConstraints on both columns are the backstop. Each service runs inside the
caller's transaction when there is one (checkout, an order's move), or its own.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from ..catalogue_cache import catalogue_changed
from ..exceptions import InsufficientStock, StockRefused
from ..models import Product, Shop

ZERO = Decimal("0")
# What the columns hold (10 digits, 3 after the point).
MAX_STOCK = Decimal("9999999.999")
# Written only here; a full save() elsewhere would write back values read before a checkout.
STOCK_FIELDS = ("stock_quantity", "allocated_quantity")


def product_save_keeping_stock(product: Product) -> None:
    """Save an edited product's other fields; its stock figures stay as they are in the
    database, where a checkout may have changed them since the product was read."""
    product.save(
        update_fields=[
            f.name
            for f in Product._meta.concrete_fields
            if not f.primary_key and f.name not in STOCK_FIELDS
        ]
    )


class StockLine(Protocol):
    """An order line as stock sees it (orders.models.OrderLine fits)."""

    product_id: int | None
    quantity: Decimal


@dataclass(frozen=True)
class StockLevel:
    sku: str
    available: Decimal
    allocated: Decimal

    @property
    def on_hand(self) -> Decimal:
        return self.available + self.allocated


@dataclass(frozen=True)
class StockChange:
    """One line of a till's request: an absolute shelf count (`on_hand`) or a change of what
    is available to sell (`delta`, e.g. -2 for two sold over the counter)."""

    index: int
    sku: str
    on_hand: Decimal | None = None
    delta: Decimal | None = None


def _lock(product_ids: Iterable[int]) -> dict[int, Product]:
    return {
        p.pk: p
        for p in Product.objects.select_for_update(of=("self",))
        .only("pk", "always_available", "stock_quantity", "allocated_quantity")
        .filter(pk__in=list(product_ids))
        .order_by("pk")
    }


def _by_product(lines: Iterable[StockLine]) -> dict[int, Decimal]:
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line.product_id is not None:
            wanted[line.product_id] += line.quantity
    return dict(sorted(wanted.items()))


@transaction.atomic(savepoint=False)
def stock_allocate(*, items: Iterable[tuple[Product, Decimal]]) -> None:
    """Set goods aside for an order: each quantity moves from available to allocated.

    Products that are always available are not counted. Locks the rows in pk order (checkout
    already holds them, so this waits for nobody), checks every product, then moves them
    all in one conditional UPDATE as backstop. Raises InsufficientStock naming every product
    short; the caller's transaction must roll back then."""
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    titles: dict[int, str] = {}
    for product, quantity in items:
        wanted[product.pk] += quantity
        titles[product.pk] = product.title
    locked = _lock(wanted)
    counted = {
        pk: quantity
        for pk, quantity in sorted(wanted.items())
        if pk not in locked or not locked[pk].always_available
    }
    short = [
        titles[pk]
        for pk, quantity in counted.items()
        if pk not in locked or locked[pk].stock_quantity < quantity
    ]
    if short:
        raise InsufficientStock(short)
    if not counted:
        return
    # One conditional UPDATE for every product, however many the basket holds.
    enough = Q()
    for pk, quantity in counted.items():
        enough |= Q(pk=pk, stock_quantity__gte=quantity)
    taken = Case(
        *(When(pk=pk, then=Value(quantity)) for pk, quantity in counted.items()),
        output_field=Product._meta.get_field("stock_quantity"),
    )
    moved = Product.objects.filter(enough).update(
        stock_quantity=F("stock_quantity") - taken,
        allocated_quantity=F("allocated_quantity") + taken,
    )
    if moved != len(counted):
        # Not reached while the rows are locked as above; which row fell short the update
        # does not say, so every product counted is named.
        raise InsufficientStock([titles[pk] for pk in counted])
    catalogue_changed(stock_only=True)


@transaction.atomic(savepoint=False)
def stock_release(*, lines: Iterable[StockLine]) -> None:
    """An order rejected or cancelled before its goods left the shop: what was set aside
    for it is available to sell again. Moves at most what is allocated, so a product that
    was always available when ordered (nothing set aside) gains nothing."""
    wanted = _by_product(lines)
    for pk, product in _lock(wanted).items():
        moved = min(wanted[pk], product.allocated_quantity)
        if moved > 0:
            Product.objects.filter(pk=pk).update(
                stock_quantity=F("stock_quantity") + moved,
                allocated_quantity=F("allocated_quantity") - moved,
            )
            catalogue_changed(stock_only=True)


@transaction.atomic(savepoint=False)
def stock_hand_over(*, lines: Iterable[StockLine]) -> None:
    """The goods left the shop (collected by the customer, or handed to a courier): they
    are no longer set aside, and were already not available to sell."""
    wanted = _by_product(lines)
    for pk, product in _lock(wanted).items():
        gone = min(wanted[pk], product.allocated_quantity)
        if gone > 0:
            Product.objects.filter(pk=pk).update(allocated_quantity=F("allocated_quantity") - gone)


@transaction.atomic(savepoint=False)
def stock_take_back(*, lines: Iterable[StockLine]) -> None:
    """A courier brought an order's goods back to the shop and the order is ready again:
    they are set aside for it once more (products always available are not counted)."""
    wanted = _by_product(lines)
    for pk, product in _lock(wanted).items():
        if not product.always_available:
            Product.objects.filter(pk=pk).update(
                allocated_quantity=F("allocated_quantity") + wanted[pk]
            )


def _available_after_count(product: Product, on_hand: Decimal) -> Decimal:
    # A count below what is set aside means goods for orders are missing: nothing is left to
    # sell, and the orders keep their claim so the shop sees them.
    return max(on_hand - product.allocated_quantity, ZERO)


@transaction.atomic(savepoint=False)
def stock_count(*, product: Product, on_hand: Decimal) -> StockLevel:
    """Take a shelf count of everything in the shop, goods set aside for orders included:
    available = max(on_hand − allocated, 0). Locks the row; raises StockRefused for a
    negative count."""
    (level,) = stock_adjust(
        shop=product.shop, changes=[StockChange(index=0, sku=product.sku, on_hand=on_hand)]
    )
    product.stock_quantity, product.allocated_quantity = level.available, level.allocated
    return level


@transaction.atomic
def stock_adjust(*, shop: Shop, changes: list[StockChange]) -> list[StockLevel]:
    """Apply a till's counts and changes to `shop`'s products, all or nothing, in the
    order given (a count then a delta for one SKU both apply). Locks the rows in pk order.
    Raises StockRefused listing every unknown SKU, negative count and change that would
    leave less than nothing available; then nothing was changed. Returns the new levels
    by SKU."""
    locked = {
        p.sku: p
        for p in shop.products.select_for_update(of=("self",))
        .filter(sku__in={change.sku for change in changes})
        .order_by("pk")
    }
    available = {sku: p.stock_quantity for sku, p in locked.items()}
    problems = []
    for change in changes:
        product = locked.get(change.sku)
        if product is None:
            problems.append(
                {"index": change.index, "field": "sku", "message": f"No product {change.sku}."}
            )
            continue
        if change.on_hand is not None:
            if change.on_hand < 0:
                problems.append(
                    {
                        "index": change.index,
                        "field": "set",
                        "message": f"A count of {change.sku} cannot be below 0.",
                    }
                )
                continue
            available[change.sku] = _available_after_count(product, change.on_hand)
        else:
            available[change.sku] += change.delta
            if available[change.sku] < 0:
                problems.append(
                    {"index": change.index, "message": f"Stock of {change.sku} would go below 0."}
                )
        if available[change.sku] + product.allocated_quantity > MAX_STOCK:
            problems.append(
                {"index": change.index, "message": f"Stock of {change.sku} would pass {MAX_STOCK}."}
            )
    if problems:
        raise StockRefused(problems)
    now = timezone.now()
    touched = sorted({change.sku for change in changes}, key=lambda sku: locked[sku].pk)
    for sku in touched:
        Product.objects.filter(pk=locked[sku].pk).update(
            stock_quantity=available[sku], updated_at=now
        )
    catalogue_changed(stock_only=True)
    return [
        StockLevel(sku=sku, available=available[sku], allocated=locked[sku].allocated_quantity)
        for sku in sorted(touched)
    ]


@transaction.atomic
def stock_set(*, shop: Shop, product_ids: Iterable[int], available: Decimal) -> int:
    """Set what is available to sell for `shop`'s chosen products (ids of other shops are
    ignored), as the shop types it in its dashboard; goods set aside stay set aside. Locks
    the rows in pk order; returns how many products changed."""
    if available < 0:
        raise StockRefused([{"message": "Stock cannot be below 0."}])
    ids = list(
        shop.products.filter(pk__in=list(product_ids)).order_by("pk").values_list("pk", flat=True)
    )
    locked = _lock(ids)
    catalogue_changed(stock_only=True)
    return Product.objects.filter(pk__in=list(locked)).update(
        stock_quantity=available, updated_at=timezone.now()
    )
