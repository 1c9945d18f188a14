"""Checkout: one transaction makes every shop's order of a purchase, or none.

The flow, in named steps, each its own function so it can be read and tested alone:
    fetch_basket        the cart's goods, products locked in primary-key order
    validate_goods      still sold, still in stock
    validate_choices    each shop's pickup time or delivery, the rides and their windows
    validate_points     who may pay with points
    price_purchase      goods, VAT, delivery fees, the platform fee, points shared out
    "purchase.placing"  logistics books a place per ride in its window (may refuse)
    write_purchase      the purchase, its orders, lines, events, payment; the cart emptied
    stock_take          the goods leave stock, under the product locks
    "purchase.placed"   loyalty spends the points (may refuse); emails go after commit
What checkout needs to know from logistics, loyalty and governance (quotes, window offers, the
fee in force, each order's points cap) it asks through `events.ask`; what they must do with
the purchase they do as in-transaction subscribers. A subscriber's refusal becomes a
CheckoutError and rolls the whole purchase back."""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from marketplace import events
from marketplace.geo import Point
from marketplace.money import money_from_cents
from shops.exceptions import InsufficientStock
from shops.models import Product, Shop
from shops.quantities import parse_quantity
from shops.services.stock import stock_allocate

from ..delivery import pickup_slot_at
from ..exceptions import CheckoutError, SoldOut
from ..models import Cart, CartLine, Order, OrderEvent, OrderLine, Payment, Purchase

CENT = Decimal("0.01")


# What the customer asked for -----------------------------------------------------------------
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


# What the steps hand on ----------------------------------------------------------------------
@dataclass
class ShopBasket:
    """One shop's part of the purchase: its products (locked) and quantities."""

    shop: Shop
    items: list[tuple[Product, Decimal]] = field(default_factory=list)


@dataclass
class Basket:
    """The cart as checkout sees it: one ShopBasket per shop, in shop-id order."""

    cart: Cart
    products: dict[int, Product]
    shops: dict[int, ShopBasket]


@dataclass
class Ride:
    """The shops of a purchase delivering with one collective: one ride in one window."""

    collective: object  # logistics' Collective, reached through the shops
    shops: list[Shop]
    starts_at: datetime.datetime
    ends_at: datetime.datetime


@dataclass
class OrderPrice:
    """One shop's order in money, all amounts in the node's currency."""

    subtotal: Decimal
    vat: Decimal
    delivery_fee: Decimal = Decimal("0")
    platform_fee: Decimal = Decimal("0")
    points: int = 0

    @property
    def points_discount(self) -> Decimal:
        return money_from_cents(self.points).amount

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.delivery_fee - self.points_discount


@dataclass
class Pricing:
    orders: dict[int, OrderPrice]  # by shop id
    fee_percent: Decimal
    fee_decision: object | None  # the members' vote that set the fee, if any

    @property
    def total(self) -> Decimal:
        return sum((price.total for price in self.orders.values()), Decimal("0"))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# The service ---------------------------------------------------------------------------------
def checkout_place(
    *, cart: Cart, customer, request: CheckoutRequest, now: datetime.datetime | None = None
) -> Purchase:
    """Place one order per shop in the cart, all in one transaction.

    Guarantees: the cart row is locked, so the same checkout submitted many times gives one
    purchase (the token is also unique); product rows are locked in primary-key order, so
    opposite baskets never deadlock; the goods are set aside under those locks by shops'
    stock_allocate (a conditional update as backstop); prices, VAT, fees come from the
    database, never the form. Raises CheckoutError (or SoldOut) with a message, also when
    logistics or loyalty refuse (a window fully booked, too few points); then nothing was
    written."""
    try:
        # _place returns the purchase already made with this token, under the cart's lock.
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
    basket = fetch_basket(cart=cart)
    validate_goods(basket=basket)
    rides = validate_choices(basket=basket, request=request, now=now)
    validate_points(points=request.points, customer=customer)
    pricing = price_purchase(basket=basket, request=request, rides=rides, now=now)
    _publish("purchase.placing", rides=rides)
    purchase = write_purchase(
        basket=basket, request=request, customer=customer, pricing=pricing, rides=rides
    )
    stock_take(basket=basket)
    # Loyalty spends the points now; the confirmation emails go from the outbox after commit.
    _publish("purchase.placed", purchase=purchase, points=request.points)
    return purchase


def _publish(topic: str, **objects) -> None:
    """Publish in checkout's transaction; a subscriber's refusal becomes a CheckoutError at
    the field it names, and the transaction rolls back."""
    try:
        events.publish(topic, **objects)
    except events.Refused as refused:
        raise CheckoutError(refused.message, field=refused.field) from refused


# Fetch ---------------------------------------------------------------------------------------
def fetch_basket(*, cart: Cart) -> Basket:
    """The cart's lines with their products locked, in primary-key order so opposite baskets
    never deadlock. Raises CheckoutError for an empty cart, InvalidQuantity for a quantity
    the product cannot be sold in."""
    lines = list(CartLine.objects.filter(cart=cart).order_by("product_id"))
    if not lines:
        raise CheckoutError(_("Your cart is empty."))
    products = {
        p.pk: p
        for p in Product.objects.select_for_update(of=("self",))
        .select_related("shop__delivery_collective")
        .defer("description", "search_vector", "shop__description")
        .filter(pk__in=[line.product_id for line in lines])
        .order_by("pk")
    }
    shops: dict[int, ShopBasket] = {}
    for line in lines:
        product = products[line.product_id]
        shop_basket = shops.setdefault(product.shop_id, ShopBasket(shop=product.shop))
        shop_basket.items.append((product, parse_quantity(line.quantity, product)))
    # Pickup times are checked against these: one query each, whatever the number of shops.
    prefetch_related_objects([b.shop for b in shops.values()], "opening_hours", "closures")
    return Basket(cart=cart, products=products, shops=dict(sorted(shops.items())))


# Validate ------------------------------------------------------------------------------------
def validate_goods(*, basket: Basket) -> None:
    """Every product is still sold by an active shop (CheckoutError) and in stock (SoldOut,
    naming every product short). Reads the locked rows: the answer holds until commit."""
    sold_out = []
    for shop_basket in basket.shops.values():
        for product, quantity in shop_basket.items:
            if not product.is_active or product.shop.status != Shop.Status.ACTIVE:
                raise CheckoutError(_("%(title)s is no longer sold.") % {"title": product.title})
            if not product.always_available and product.stock_quantity < quantity:
                sold_out.append(product.title)
    if sold_out:
        raise SoldOut(sold_out)


def validate_choices(*, basket: Basket, request: CheckoutRequest, now) -> list[Ride]:
    """Every shop's choice is possible: a pickup time the shop offers, or delivery to an
    address its couriers reach. Shops of one purchase delivering with one collective ride
    together in one window they can all make. Returns the rides, by collective id."""
    delivering: dict[int, list[Shop]] = {}
    for shop_id, shop_basket in basket.shops.items():
        shop = shop_basket.shop
        choice = request.choices.get(shop_id)
        fulfilment = choice.fulfilment if choice else None
        if fulfilment == Order.Fulfilment.PICKUP:
            start = choice.pickup_from
            if start is None or pickup_slot_at(shop, start, now) is None:
                raise CheckoutError(
                    _("Choose one of the offered pickup times for %(shop)s.") % {"shop": shop.name},
                    field=f"slot_{shop_id}",
                )
        elif fulfilment == Order.Fulfilment.DELIVERY:
            if request.address is None:
                raise CheckoutError(_("Enter a delivery address."), field="street")
            if not events.ask("delivery.delivers_to", shop=shop, drop_off=request.address.point):
                raise CheckoutError(
                    _("%(shop)s does not deliver to this address; choose pickup instead.")
                    % {"shop": shop.name},
                    field=f"fulfilment_{shop_id}",
                )
            delivering.setdefault(shop.delivery_collective_id, []).append(shop)
        else:
            raise CheckoutError(_("Choose pickup or delivery for %(shop)s.") % {"shop": shop.name})
    return [_ride(group, request, now) for _collective_id, group in sorted(delivering.items())]


def _ride(group: list[Shop], request: CheckoutRequest, now) -> Ride:
    """The window every shop of the ride chose, if the collective offers it and every one of
    those shops can make it; CheckoutError otherwise (a window posted by hand included).
    Whether it is full, the booking decides (under its lock)."""
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
    ((_collective, offers),) = events.ask(
        "delivery.window_offers", shops=group, now=now, leave_out_full=False
    )
    for offer in offers:
        if offer.starts_at != start:
            continue
        if wanted <= offer.shop_ids:
            return Ride(collective, group, offer.starts_at, offer.ends_at)
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


def validate_points(*, points: int, customer) -> None:
    """Points are a signed-in customer's; how many they hold, loyalty checks when spending."""
    if points and (customer is None or not customer.is_authenticated):
        raise CheckoutError(_("Sign in to pay with points."), field="points")


# Price ---------------------------------------------------------------------------------------
def price_purchase(*, basket: Basket, request: CheckoutRequest, rides: list[Ride], now) -> Pricing:
    """Every order's amounts, from the locked rows and what logistics, governance and loyalty
    answer; never from the form. Goods and VAT per line rounded to the cent; each ride's one
    delivery fee shared over its orders; the platform fee in force today; the points shared
    over the orders in proportion to what each may take (CheckoutError beyond the caps)."""
    fee_percent, fee_decision = events.ask("platform.fee_in_force", now=now)
    orders = {}
    for shop_id, shop_basket in basket.shops.items():
        totals = [_cents(p.price.amount * q) for p, q in shop_basket.items]
        subtotal = sum(totals, Decimal("0"))
        vat = sum(
            (
                _cents(total * p.vat_rate / (100 + p.vat_rate))
                for total, (p, _q) in zip(totals, shop_basket.items, strict=True)
            ),
            Decimal("0"),
        )
        orders[shop_id] = OrderPrice(
            subtotal=subtotal, vat=vat, platform_fee=_cents(subtotal * fee_percent / 100)
        )
    for ride in rides:
        goods = [item for shop in ride.shops for item in basket.shops[shop.pk].items]
        quote = events.ask(
            "delivery.quote", shops=ride.shops, drop_off=request.address.point, goods=goods
        )
        for shop_id, share in quote.shares.items():
            orders[shop_id].delivery_fee = share.amount
    if request.points:
        points_share_out(points=request.points, orders=orders)
    return Pricing(orders=orders, fee_percent=fee_percent, fee_decision=fee_decision)


def points_share_out(*, points: int, orders: dict[int, OrderPrice]) -> None:
    """Share `points` over the orders in proportion to what each may take (loyalty's cap, a
    share of its goods), setting each OrderPrice's points. CheckoutError at the points field
    when they exceed the caps together."""
    shop_ids = list(orders)
    caps = [
        events.ask(
            "points.order_cap", subtotal=Money(orders[s].subtotal, settings.DEFAULT_CURRENCY)
        )
        for s in shop_ids
    ]
    if points > sum(caps):
        raise CheckoutError(
            _(
                "Points can pay for at most %(percent)s %% of each shop's goods: use "
                "%(usable)s points or fewer."
            )
            % {"percent": settings.LOYALTY_MAX_DISCOUNT_PERCENT, "usable": sum(caps)},
            field="points",
        )
    for shop_id, share in zip(shop_ids, _proportional_shares(points, caps), strict=True):
        orders[shop_id].points = share


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


# Write ---------------------------------------------------------------------------------------
def write_purchase(
    *, basket: Basket, request: CheckoutRequest, customer, pricing: Pricing, rides: list[Ride]
) -> Purchase:
    """The purchase, one order per shop with its lines and first event, the payment to
    expect; the bought lines leave the cart. Orders that ride are linked to the window
    logistics booked for them ("purchase.placing")."""
    currency = settings.DEFAULT_CURRENCY
    purchase = Purchase.objects.create(
        customer=customer if customer is not None and customer.is_authenticated else None,
        checkout_token=request.checkout_token,
        name=request.name.strip(),
        email=request.email.strip(),
        phone=request.phone.strip(),
        notes=request.notes.strip(),
        payment_method=request.payment_method,
        total=Money(pricing.total, currency),
    )
    windows = {}
    for ride in rides:
        window = events.ask(
            "delivery.window_booked", collective=ride.collective, starts_at=ride.starts_at
        )
        windows.update({shop.pk: window for shop in ride.shops})
    initial = (
        Order.Status.AWAITING_PAYMENT
        if request.payment_method == Purchase.PaymentMethod.CARD
        else Order.Status.PLACED
    )
    orders = []
    for shop_id, shop_basket in basket.shops.items():
        shop, choice, price = shop_basket.shop, request.choices[shop_id], pricing.orders[shop_id]
        order = Order(
            purchase=purchase,
            shop=shop,
            status=initial,
            fulfilment=choice.fulfilment,
            subtotal=Money(price.subtotal, currency),
            vat_included=Money(price.vat, currency),
            delivery_fee=Money(price.delivery_fee, currency),
            platform_fee_percent=pricing.fee_percent,
            fee_decision=pricing.fee_decision,
            platform_fee=Money(price.platform_fee, currency),
            points_redeemed=price.points,
            points_discount=Money(price.points_discount, currency),
            total=Money(price.total, currency),
            pickup_code=Order.new_pickup_code(),
        )
        if choice.fulfilment == Order.Fulfilment.PICKUP:
            length = datetime.timedelta(minutes=shop.pickup_slot_minutes)
            order.pickup_from, order.pickup_until = choice.pickup_from, choice.pickup_from + length
        else:
            address = request.address
            order.delivery_street, order.delivery_postcode = address.street, address.postcode
            order.delivery_city = address.city
            order.delivery_latitude, order.delivery_longitude = address.latitude, address.longitude
            window = windows[shop_id]
            order.delivery_window = window
            order.delivery_from, order.delivery_until = window.starts_at, window.ends_at
        orders.append(order)
    # One statement per table, whatever the number of shops (the ids come back on insert).
    Order.objects.bulk_create(orders)
    OrderLine.objects.bulk_create(
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
        for order, shop_basket in zip(orders, basket.shops.values(), strict=True)
        for product, quantity in shop_basket.items
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(order=order, to_status=initial, actor=purchase.customer) for order in orders
    )
    Payment.objects.create(
        purchase=purchase, provider=request.payment_method, amount=purchase.total
    )
    CartLine.objects.filter(cart=basket.cart, product_id__in=list(basket.products)).delete()
    return purchase


def stock_take(*, basket: Basket) -> None:
    """The bought goods are set aside for their orders by shops' stock service, under the
    product locks fetch_basket took; its conditional update is the backstop (SoldOut, and
    the transaction rolls back)."""
    items = [item for shop_basket in basket.shops.values() for item in shop_basket.items]
    try:
        stock_allocate(items=items)
    except InsufficientStock as short:
        raise SoldOut(short.titles) from short
