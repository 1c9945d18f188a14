"""Reads of carts and orders, and the permission-checked fetchers."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404
from djmoney.money import Money

from marketplace import events
from shops.models import Shop

from .models import Cart, CartLine, Order, OrderEvent, OrderLine, Purchase

SESSION_PURCHASES = "purchases"
SESSION_CART = "cart_id"


def cart_for_request(request) -> Cart | None:
    if request.user.is_authenticated:
        return Cart.objects.filter(user=request.user).first()
    cart_id = request.session.get(SESSION_CART)
    return Cart.objects.filter(pk=cart_id, user=None).first() if cart_id else None


@dataclass
class CartGroup:
    shop: Shop
    lines: list = field(default_factory=list)
    subtotal: Decimal = Decimal("0")


@dataclass
class CartView:
    groups: list[CartGroup]
    total: Money | None
    count: int
    # Lines whose price changed since they were added, or with too little stock left.
    changed: list = field(default_factory=list)
    short: list = field(default_factory=list)

    @property
    def has_problems(self) -> bool:
        return bool(self.short)


def cart_contents(*, cart: Cart | None, for_checkout: bool = False) -> CartView:
    """The cart grouped by shop, with subtotals and what changed since adding. For checkout,
    the shops come with their opening hours and closures (pickup times)."""
    if cart is None:
        return CartView(groups=[], total=None, count=0)
    lines = (
        CartLine.objects.filter(cart=cart)
        .select_related("product__shop__delivery_collective")
        .defer("product__description", "product__search_vector", "product__shop__description")
    )
    if for_checkout:
        lines = lines.prefetch_related("product__shop__opening_hours", "product__shop__closures")
    lines = list(lines.order_by("product__shop__name", "added_at", "pk"))
    groups: dict[int, CartGroup] = {}
    view = CartView(groups=[], total=None, count=len(lines))
    currency = None
    total = Decimal("0")
    for line in lines:
        product = line.product
        line.line_total = Money(product.price.amount * line.quantity, product.price.currency)
        line.price_changed = line.price_when_added != product.price
        line.unavailable = not product.is_active or product.shop.status != Shop.Status.ACTIVE
        line.too_few = not product.always_available and product.stock_quantity < line.quantity
        if line.price_changed:
            view.changed.append(line)
        if line.too_few or line.unavailable:
            view.short.append(line)
        group = groups.setdefault(product.shop_id, CartGroup(shop=product.shop))
        group.lines.append(line)
        group.subtotal += line.line_total.amount
        total += line.line_total.amount
        currency = product.price.currency
    view.groups = list(groups.values())
    for group in view.groups:
        group.subtotal = Money(group.subtotal, currency)
    view.total = Money(total, currency) if currency else None
    return view


def delivery_window_offers(*, shops: list[Shop], now=None) -> list[tuple]:
    """[(collective, [WindowOffer…])] for the collectives delivering for `shops`: the windows
    not full that at least one of its shops can make (logistics answers). Shops come with
    their opening hours and closures prefetched (cart_contents for checkout does); their
    collectives' service hours are read here (one query), unless prefetched."""
    prefetch_related_objects(
        [shop.delivery_collective for shop in shops if shop.delivery_collective_id],
        "service_hours",
    )
    return events.ask("delivery.window_offers", shops=shops, now=now)


def _orders_with_details() -> QuerySet[Order]:
    return Order.objects.select_related(
        "shop", "purchase", "pickup__job__courier__user"
    ).prefetch_related(
        "lines", Prefetch("events", queryset=OrderEvent.objects.select_related("actor"))
    )


def purchase_for_customer(*, request, purchase_id: int) -> Purchase:
    """A purchase the person made: their account's, or one made in this browser session.
    The same 404 for missing and not theirs."""
    allowed = Purchase.objects.none()
    if request.user.is_authenticated:
        allowed = Purchase.objects.filter(customer=request.user)
    session_ids = request.session.get(SESSION_PURCHASES, [])
    allowed = allowed | Purchase.objects.filter(pk__in=session_ids)
    purchase = (
        allowed.filter(pk=purchase_id)
        .prefetch_related(Prefetch("orders", queryset=_orders_with_details().order_by("pk")))
        .prefetch_related("payments")
        .first()
    )
    if purchase is None:
        raise Http404("No such purchase")
    return purchase


def purchases_of(*, user) -> QuerySet[Purchase]:
    return (
        Purchase.objects.filter(customer=user)
        .prefetch_related(Prefetch("orders", queryset=Order.objects.select_related("shop")))
        .order_by("-created_at")
    )


def orders_of_shop(*, shop: Shop, status: str | None = None) -> QuerySet[Order]:
    orders = (
        Order.objects.filter(shop=shop)
        .select_related("purchase", "pickup__job__courier__user")
        .order_by("-created_at")
    )
    if status:
        orders = orders.filter(status=status)
    return orders


def order_for_shop_member(*, user, shop: Shop, order_id: int) -> Order:
    """An order of `shop` (whose membership the caller already checked); 404 otherwise."""
    order = _orders_with_details().filter(shop=shop, pk=order_id).first()
    if order is None:
        raise Http404("No such order")
    return order


def ready_order_for_code(*, user, code: str) -> Order | None:
    """The order ready for pickup with `code` in a shop where `user` works."""
    return (
        Order.objects.filter(
            pickup_code=code,
            status=Order.Status.READY,
            fulfilment=Order.Fulfilment.PICKUP,
            shop__memberships__user=user,
        )
        .order_by("-created_at")
        .first()
    )


# What counts as sold: orders the shop has (or will) hand over, not refused or unpaid ones.
SOLD_STATUSES = [
    Order.Status.PLACED,
    Order.Status.ACCEPTED,
    Order.Status.READY,
    Order.Status.OUT_FOR_DELIVERY,
    Order.Status.COLLECTED,
    Order.Status.DELIVERED,
]


def sales_by_day(*, shop: Shop, first_day, last_day) -> list[tuple]:
    """(day, goods sold) for every day from first_day to last_day, days without sales as 0."""
    import datetime

    from django.db.models import Sum
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    rows = (
        Order.objects.filter(
            shop=shop,
            status__in=SOLD_STATUSES,
            created_at__date__gte=first_day,
            created_at__date__lte=last_day,
        )
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Sum("subtotal"))
    )
    totals = {row["day"]: row["total"] for row in rows}
    days = (last_day - first_day).days + 1
    return [
        (day, totals.get(day) or Decimal("0"))
        for day in (first_day + datetime.timedelta(days=n) for n in range(days))
    ]


def order_counts_today(*, shop: Shop) -> dict[str, int]:
    """Orders placed today per status, and the work waiting now (any day)."""
    from django.db.models import Count
    from django.utils import timezone

    today = timezone.localdate()
    counts = dict(
        Order.objects.filter(shop=shop, created_at__date=today)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    waiting = dict(
        Order.objects.filter(
            shop=shop, status__in=[Order.Status.PLACED, Order.Status.ACCEPTED, Order.Status.READY]
        )
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {"today": counts, "waiting": waiting}


def shop_report(*, shop: Shop, first_day, last_day) -> dict:
    """Sales by product and by day, orders by status, and platform fees owed for a period
    (by the day the order was placed)."""
    from django.db.models import Count, Sum
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    orders = Order.objects.filter(
        shop=shop, created_at__date__gte=first_day, created_at__date__lte=last_day
    )
    sold = orders.filter(status__in=SOLD_STATUSES)
    by_product = list(
        OrderLine.objects.filter(order__in=sold)
        .values("sku", "title")
        .annotate(quantity=Sum("quantity"), revenue=Sum("line_total"), orders=Count("order"))
        .order_by("-revenue", "sku")
    )
    totals = sold.aggregate(
        goods=Sum("subtotal"), fees=Sum("platform_fee"), delivery=Sum("delivery_fee")
    )
    return {
        "by_product": by_product,
        "by_day": sales_by_day(shop=shop, first_day=first_day, last_day=last_day),
        "by_status": list(orders.values("status").annotate(n=Count("pk")).order_by("status")),
        "goods": totals["goods"] or Decimal("0"),
        "platform_fees": totals["fees"] or Decimal("0"),
        "delivery_fees": totals["delivery"] or Decimal("0"),
        "order_count": sold.count(),
        "timezone": str(tz),
    }
