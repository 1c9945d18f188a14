"""Checkout: one transaction makes every shop's order of a purchase, or none."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from logistics.loads import goods_load
from marketplace import events
from marketplace.geo import Point
from marketplace.money import money_from_cents
from shops.exceptions import InsufficientStock
from shops.models import Product, Shop
from shops.quantities import parse_quantity
from shops.services.stock import stock_allocate

from ..delivery import delivers_to, pickup_slots, quote_delivery, window_offers
from ..exceptions import CheckoutError, SoldOut
from ..models import Cart, CartLine, Order, OrderEvent, OrderLine, Payment, Purchase

CENT = Decimal("0.01")


@dataclass
class DeliveryAddress:
    street: str
    postcode: str
    city: str
    latitude: float
    longitude: float

    @property
    def point(self) -> Point:
        return Point(self.latitude, self.longitude)


@dataclass
class ShopChoice:
    fulfilment: str
    pickup_from: datetime.datetime | None = None
    # The delivery window's start; shops delivering with one collective share one window.
    delivery_from: datetime.datetime | None = None


@dataclass
class CheckoutRequest:
    checkout_token: str
    name: str
    email: str
    payment_method: str
    choices: dict[int, ShopChoice] = field(default_factory=dict)
    address: DeliveryAddress | None = None
    phone: str = ""
    notes: str = ""
    # Community points to spend as a discount, spread over the orders (each capped).
    points: int = 0


def platform_fee_in_force(now: datetime.datetime | None = None):
    """(percent, decision): the fee the members' latest accepted vote set for `now`'s day,
    and that vote; the node's PLATFORM_FEE_PERCENT and None before any vote."""
    from governance.selectors import fee_in_force

    return fee_in_force(now=now)


def platform_fee_percent(now: datetime.datetime | None = None) -> Decimal:
    """The fee in force at `now` (see platform_fee_in_force)."""
    return platform_fee_in_force(now).percent


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def checkout_place(
    *, cart: Cart, customer, request: CheckoutRequest, now: datetime.datetime | None = None
) -> Purchase:
    """Place one order per shop in the cart, all in one transaction.

    Guarantees: the cart row is locked, so the same checkout submitted many times gives one
    purchase (the token is also unique); product rows are locked in primary-key order, so
    opposite baskets never deadlock; the goods are set aside under those locks by shops'
    stock_allocate (a conditional update as backstop); prices, VAT, fees come from the
    database, never the form. Raises CheckoutError (or SoldOut) with a message; then
    nothing was written."""
    existing = Purchase.objects.filter(checkout_token=request.checkout_token).first()
    if existing:
        return existing
    try:
        return _place(cart=cart, customer=customer, request=request, now=now)
    except IntegrityError:
        # A concurrent submission of the same checkout won the race on the token.
        existing = Purchase.objects.filter(checkout_token=request.checkout_token).first()
        if existing is None:
            raise
        return existing


@transaction.atomic
def _place(*, cart, customer, request, now) -> Purchase:
    now = now or timezone.now()
    Cart.objects.select_for_update().get(pk=cart.pk)
    existing = Purchase.objects.filter(checkout_token=request.checkout_token).first()
    if existing:
        return existing
    lines = list(CartLine.objects.filter(cart=cart).order_by("product_id"))
    if not lines:
        raise CheckoutError(_("Your cart is empty."))
    products = {
        p.pk: p
        for p in Product.objects.select_for_update(of=("self",))
        .select_related("shop__delivery_collective")
        .filter(pk__in=[line.product_id for line in lines])
        .order_by("pk")
    }
    sold_out = []
    by_shop: dict[int, list[tuple[Product, Decimal]]] = defaultdict(list)
    for line in lines:
        product = products[line.product_id]
        if not product.is_active or product.shop.status != Shop.Status.ACTIVE:
            raise CheckoutError(_("%(title)s is no longer sold.") % {"title": product.title})
        quantity = parse_quantity(line.quantity, product)
        if not product.always_available and product.stock_quantity < quantity:
            sold_out.append(product.title)
        by_shop[product.shop_id].append((product, quantity))
    if sold_out:
        raise SoldOut(sold_out)

    shops = {shop_id: items[0][0].shop for shop_id, items in by_shop.items()}
    litres = {
        shop_id: sum((goods_load(p, q)[1] for p, q in items), Decimal("0"))
        for shop_id, items in by_shop.items()
    }
    delivery_fees, rides = _delivery_fees(shops, request, now, litres)
    windows = _windows_reserve(rides)

    fee_percent, fee_decision = platform_fee_in_force(now)
    currency = settings.DEFAULT_CURRENCY
    purchase = Purchase.objects.create(
        customer=customer if customer is not None and customer.is_authenticated else None,
        checkout_token=request.checkout_token,
        name=request.name.strip(),
        email=request.email.strip(),
        phone=request.phone.strip(),
        notes=request.notes.strip(),
        payment_method=request.payment_method,
        total=Money(0, currency),
    )
    initial = (
        Order.Status.AWAITING_PAYMENT
        if request.payment_method == Purchase.PaymentMethod.CARD
        else Order.Status.PLACED
    )
    grand_total = Decimal("0")
    for shop_id, items in sorted(by_shop.items()):
        choice = request.choices[shop_id]
        subtotal = sum((_cents(p.price.amount * q) for p, q in items), Decimal("0"))
        vat = sum(
            (
                _cents(_cents(p.price.amount * q) * p.vat_rate / (100 + p.vat_rate))
                for p, q in items
            ),
            Decimal("0"),
        )
        delivery_fee = delivery_fees.get(shop_id, Money(0, currency)).amount
        order = Order(
            purchase=purchase,
            shop=shops[shop_id],
            status=initial,
            fulfilment=choice.fulfilment,
            subtotal=Money(subtotal, currency),
            vat_included=Money(vat, currency),
            delivery_fee=Money(delivery_fee, currency),
            platform_fee_percent=fee_percent,
            fee_decision=fee_decision,
            platform_fee=Money(_cents(subtotal * fee_percent / 100), currency),
            total=Money(subtotal + delivery_fee, currency),
            pickup_code=Order.new_pickup_code(),
        )
        if choice.fulfilment == Order.Fulfilment.PICKUP:
            length = datetime.timedelta(minutes=shops[shop_id].pickup_slot_minutes)
            order.pickup_from, order.pickup_until = choice.pickup_from, choice.pickup_from + length
        else:
            address = request.address
            order.delivery_street, order.delivery_postcode = address.street, address.postcode
            order.delivery_city = address.city
            order.delivery_latitude, order.delivery_longitude = address.latitude, address.longitude
            window = windows[shop_id]
            order.delivery_window = window
            order.delivery_from, order.delivery_until = window.starts_at, window.ends_at
        order.save()
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    product=product,
                    title=product.title,
                    sku=product.sku,
                    unit=product.unit,
                    quantity=quantity,
                    unit_price=product.price,
                    vat_rate=product.vat_rate,
                    line_total=Money(_cents(product.price.amount * quantity), currency),
                )
                for product, quantity in items
            ]
        )
        OrderEvent.objects.create(order=order, to_status=initial, actor=purchase.customer)
        try:
            stock_allocate(items=items)
        except InsufficientStock as short:
            raise SoldOut(short.titles) from short
        grand_total += subtotal + delivery_fee

    if request.points:
        grand_total -= _spend_points(purchase, request.points)

    purchase.total = Money(grand_total, currency)
    purchase.save(update_fields=["total"])
    Payment.objects.create(
        purchase=purchase, provider=request.payment_method, amount=purchase.total
    )
    CartLine.objects.filter(cart=cart, product_id__in=list(products)).delete()

    # The confirmation emails go from the outbox once this transaction commits.
    events.publish("purchase.placed", purchase=purchase)
    return purchase


def _spend_points(purchase: Purchase, points: int) -> Decimal:
    """Share the points among the purchase's orders in proportion to what each may take
    (the node's share of its goods); returns the discount. Runs in checkout's transaction:
    not enough points refuses the whole checkout."""
    from loyalty.exceptions import LedgerRefused
    from loyalty.services import max_discount_points, points_spend_on_order

    if purchase.customer is None:
        raise CheckoutError(_("Sign in to pay with points."), field="points")
    orders = list(purchase.orders.order_by("shop_id"))
    caps = [max_discount_points(order.subtotal) for order in orders]
    if points > sum(caps):
        raise CheckoutError(
            _(
                "Points can pay for at most %(percent)s %% of each shop's goods: use "
                "%(usable)s points or fewer."
            )
            % {"percent": settings.LOYALTY_MAX_DISCOUNT_PERCENT, "usable": sum(caps)},
            field="points",
        )
    shares = _proportional_shares(points, caps)
    discount = Decimal("0")
    for order, use in zip(orders, shares, strict=True):
        if use <= 0:
            continue
        try:
            points_spend_on_order(order=order, user=purchase.customer, points=use)
        except LedgerRefused as refused:
            raise CheckoutError(refused.message, field="points") from refused
        order.points_redeemed = use
        order.points_discount = money_from_cents(use)
        order.total = order.total - order.points_discount
        order.save(update_fields=["points_redeemed", "points_discount", "total"])
        discount += order.points_discount.amount
    return discount


def _proportional_shares(total: int, caps: list[int]) -> list[int]:
    """Split `total` (at most sum(caps)) in proportion to `caps`, in whole points, never
    above a cap; the points left by rounding go to the largest remainders."""
    whole = sum(caps)
    if not whole:
        return [0] * len(caps)
    exact = [total * cap / whole for cap in caps]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(caps)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    return shares


@dataclass
class Ride:
    """The shops of a purchase delivering with one collective: one ride in one window."""

    shops: list[Shop]
    starts_at: datetime.datetime
    ends_at: datetime.datetime


def _windows_reserve(rides: list[Ride]):
    """One place per ride in its window; {shop id: window}. Raises CheckoutError when a
    window filled up meanwhile (the checkout's transaction then writes nothing)."""
    from logistics.exceptions import WindowFull
    from logistics.services import delivery_window_reserve

    windows = {}
    for ride in sorted(rides, key=lambda r: r.shops[0].delivery_collective_id):
        collective = ride.shops[0].delivery_collective
        try:
            window = delivery_window_reserve(
                collective=collective, starts_at=ride.starts_at, ends_at=ride.ends_at
            )
        except WindowFull:
            raise CheckoutError(
                _("This delivery time has just been fully booked; please choose another."),
                field=f"window_{collective.pk}",
            ) from None
        windows.update({shop.pk: window for shop in ride.shops})
    return windows


def _ride_window(group: list[Shop], request: CheckoutRequest, now) -> tuple:
    """The window every shop of the ride chose, if the collective offers it and every one of
    those shops can make it; CheckoutError otherwise (a window posted by hand included)."""
    collective = group[0].delivery_collective
    field_name = f"window_{collective.pk}"
    starts = {request.choices[shop.pk].delivery_from for shop in group}
    if starts == {None}:
        raise CheckoutError(_("Choose a delivery time."), field=field_name)
    if len(starts) > 1:
        raise CheckoutError(
            _("Shops delivering together share one delivery time: choose one."), field=field_name
        )
    (start,) = starts
    wanted = {shop.pk for shop in group}
    for offer in window_offers(collective, group, now):
        if offer.starts_at != start:
            continue
        if wanted <= offer.shop_ids:
            return offer.starts_at, offer.ends_at
        late = [shop.name for shop in group if shop.pk not in offer.shop_ids]
        raise CheckoutError(
            _("%(shops)s cannot have your order ready by then; choose a later delivery time.")
            % {"shops": ", ".join(late)},
            field=field_name,
        )
    raise CheckoutError(
        _("Choose one of the offered delivery times; the couriers do not deliver at this one."),
        field=field_name,
    )


def _delivery_fees(
    shops: dict[int, Shop], request: CheckoutRequest, now, litres: dict[int, Decimal]
) -> tuple[dict[int, Money], list[Ride]]:
    """Check every shop's choice; return each delivering order's share of the fee and the
    rides with their windows. Shops of one purchase delivering to the same address ride
    together: one fee and one delivery window per collective."""
    delivering: dict[int, list[Shop]] = defaultdict(list)
    for shop_id, shop in shops.items():
        choice = request.choices.get(shop_id)
        if choice is None:
            raise CheckoutError(_("Choose pickup or delivery for %(shop)s.") % {"shop": shop.name})
        if choice.fulfilment == Order.Fulfilment.PICKUP:
            slots = {start for start, _end in pickup_slots(shop, now)}
            if choice.pickup_from not in slots:
                raise CheckoutError(
                    _("Choose one of the offered pickup times for %(shop)s.") % {"shop": shop.name},
                    field=f"slot_{shop_id}",
                )
        elif choice.fulfilment == Order.Fulfilment.DELIVERY:
            if request.address is None:
                raise CheckoutError(_("Enter a delivery address."), field="street")
            if not delivers_to(shop, request.address.point):
                raise CheckoutError(
                    _("%(shop)s does not deliver to this address; choose pickup instead.")
                    % {"shop": shop.name},
                    field=f"fulfilment_{shop_id}",
                )
            delivering[shop.delivery_collective_id].append(shop)
        else:
            raise CheckoutError(_("Choose pickup or delivery for %(shop)s.") % {"shop": shop.name})
    fees: dict[int, Money] = {}
    rides = []
    for group in delivering.values():
        starts_at, ends_at = _ride_window(group, request, now)
        rides.append(Ride(shops=group, starts_at=starts_at, ends_at=ends_at))
        volume = sum((litres[shop.pk] for shop in group), Decimal("0"))
        fees.update(quote_delivery(group, request.address.point, volume).shares)
    return fees, rides
