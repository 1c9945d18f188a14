"""Eight weeks of the demo town's past, so charts, reports, earnings, payroll, settlements
and the transparency page have something to show.

Neighbours bought at the town's shops (pickup and delivery, most collected or delivered, a
few cancelled, rejected or refunded); the couriers' collective delivered; points were earned,
spent and taken back; finished months were settled. Orders, their events and delivery jobs are
fixture rows written in bulk with their past timestamps, priced as checkout prices (the fee in
force that day, the collective's delivery quote): walking eighty purchases through checkout,
transitions and job services costs ten thousand queries, which every test that loads the town
would pay. Everything that moves value goes through the real services, in the order it
happened: points are spent, earned, given back and taken back by the loyalty services (keyed
by order, so the ledger balances and stays idempotent) and the months are settled by the
settlement service; their rows are then moved back to the moment they happened.

Deterministic (one generator seeded with a fixed string) and loaded once: the past
purchases' checkout tokens mark it. Nobody is emailed about the past."""

import datetime
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from allauth.account.models import EmailAddress
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from djmoney.money import Money

from governance.selectors import fee_in_force
from logistics.loads import goods_load
from logistics.models import Courier, DeliveryJob, JobEvent, JobPickup
from logistics.quotes import quote_delivery
from logistics.services import courier_pay_for, ride_km
from loyalty import services as loyalty
from loyalty.models import LedgerTransaction, Settlement
from loyalty.services.settlement import settlement_run_due
from marketplace.geo import Point
from orders.delivery import pickup_slots
from orders.models import Order, OrderEvent, OrderLine, Payment, Purchase
from orders.services.checkout import DeliveryAddress
from shops.models import Product, Shop, ShopMembership

from . import catalogue

WEEKS = 8
TOKEN_PREFIX = "demo-history-"
TOKEN = TOKEN_PREFIX + "{:03d}"
NEIGHBOURS = [
    ("Ada Albers", "10115", "Canal Road 41"),
    ("Ben Brandt", "10117", "Linden Avenue 30"),
    ("Cleo Conrad", "10119", "Church Lane 19"),
    ("Deniz Demir", "10178", "Station Square 12"),
    ("Eva Engel", "10117", "Market Street 22"),
    ("Finn Fischer", "10119", "School Street 14"),
    ("Gül Günther", "10115", "Mill Street 8"),
    ("Hugo Hartmann", "10178", "Orchard Way 9"),
    ("Ines Ivanova", "10117", "Baker Street 5"),
    ("Jonas Jung", "10119", "Garden Row 3"),
]
CENT = Decimal("0.01")
HOUR = datetime.timedelta(hours=1)
# How often, relatively, a kind of shop is in a purchase.
FREQUENCY = {"bakery": 5, "grocer": 5, "butcher": 2, "cheese": 2, "coffee": 2, "refill": 2}
_KIND_OF_SLUG = {slugify(spec[0]): spec[1] for spec in catalogue.SHOPS}


def _kind_of(shop: Shop) -> str:
    return _KIND_OF_SLUG.get(shop.slug, "")


@dataclass
class HistoryFigures:
    purchases: int = 0
    orders: int = 0
    deliveries: int = 0
    cancelled: int = 0
    refunded: int = 0
    settlements: int = 0
    weeks: int = WEEKS


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> Money:
    return Money(_cents(value), settings.DEFAULT_CURRENCY)


def _neighbours(domain: str):
    User = get_user_model()
    people = []
    for n, (name, postcode, street) in enumerate(NEIGHBOURS):
        email = f"neighbour-{n + 1}@{domain}"
        user = User.objects.filter(email=email).first()
        if user is None:
            first, last = name.split(" ")
            user = User.objects.create_user(
                email=email, password=None, display_name=name, first_name=first, last_name=last
            )
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        people.append((user, postcode, street))
    return people


def _address(postcode: str, street: str, rng: random.Random) -> DeliveryAddress:
    from .seed import _offset

    metres = next(m for code, _name, m in catalogue.POSTCODES if code == postcode)
    lat, lon = _offset((metres[0] + rng.uniform(-80, 80), metres[1] + rng.uniform(-80, 80)))
    return DeliveryAddress(
        street=street, postcode=postcode, city="Lindenfeld", latitude=lat, longitude=lon
    )


def _quantity(product: Product, rng: random.Random) -> Decimal:
    if product.unit == Product.Unit.KILOGRAM:
        return (
            Decimal(rng.choice(["0.3", "0.5", "0.5", "1"]))
            if product.quantity_step
            else Decimal(rng.choice(["1", "1", "2"]))
        )
    if product.unit == Product.Unit.LITRE:
        return Decimal(rng.choice(["1", "1", "2"]))
    return Decimal(rng.choice([1, 1, 1, 2, 2, 3]))


def _open_on(shop: Shop, day: datetime.date) -> list:
    return [h for h in shop.opening_hours.all() if h.weekday == day.weekday()]


def _at(day: datetime.date, hours, rng: random.Random) -> datetime.datetime:
    """A moment inside the shop's opening hours that day, on the quarter hour."""
    interval = rng.choice(hours)
    opens = interval.opens.hour * 60 + interval.opens.minute
    closes = interval.closes.hour * 60 + interval.closes.minute - 60
    minute = opens + 15 * rng.randrange(max(1, (closes - opens) // 15))
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60))
    )


def history_loaded() -> bool:
    return Purchase.objects.filter(checkout_token__startswith=TOKEN_PREFIX).exists()


def load_history(*, shops: list[Shop], domain: str, now: datetime.datetime | None = None):
    """Load eight weeks of past purchases once; returns HistoryFigures (zeros when the
    history was there already). Finished months are settled either way (idempotent)."""
    now = now or timezone.now()
    figures = HistoryFigures()
    shops = [
        s
        for s in Shop.objects.filter(pk__in=[s.pk for s in shops[: len(catalogue.SHOPS)]])
        .select_related("delivery_collective")
        .prefetch_related("opening_hours", "closures")
        .order_by("pk")
    ]
    couriers = list(
        Courier.objects.filter(user__email__endswith=f"@{domain}")
        .select_related("user")
        .order_by("pk")
    )
    if not history_loaded() and len(shops) >= 4 and couriers:
        with transaction.atomic():
            _load_purchases(shops, couriers, domain, now, figures)
    today = timezone.localdate(now)
    before = set(Settlement.objects.values_list("pk", flat=True))
    for settlement in settlement_run_due(today=today):
        if settlement.pk in before:
            continue
        figures.settlements += 1
        # The beat settles a month an hour after it ends.
        month = settlement.month
        tz = timezone.get_current_timezone()
        settled_at = datetime.datetime.combine(
            month + relativedelta(months=1), datetime.time(1), tzinfo=tz
        )
        Settlement.objects.filter(pk=settlement.pk).update(created_at=settled_at)
        if settlement.transaction_id:
            LedgerTransaction.objects.filter(pk=settlement.transaction_id).update(
                created_at=settled_at
            )
    return figures


def _load_purchases(shops, couriers, domain, now, figures):
    rng = random.Random("lindenfeld-history")
    neighbours = _neighbours(domain)
    owners = {}
    for membership in ShopMembership.objects.filter(role="owner", shop__in=shops).order_by("-pk"):
        owners[membership.shop_id] = membership.user
    products = {shop.pk: [] for shop in shops}
    for product in (
        Product.objects.filter(shop__in=shops, is_active=True)
        .exclude(unit=Product.Unit.HOUR)
        .order_by("pk")
    ):
        products[product.shop_id].append(product)
    # Kim (courier@) rode most of the jobs, so their earnings page has weeks to show.
    kim = next((c for c in couriers if c.user.email.startswith("courier@")), couriers[0])
    # Only cargo bikes: a courier on foot could not carry a week's potatoes.
    riders = [kim, kim, kim] + [c for c in couriers if c.pk != kim.pk and c.capacity_kg >= 50]
    fees = {}

    past = _Past()
    # From 55 days ago up to the day before yesterday (so every pickup slot chosen is in the
    # past too): eight weeks counted back from today.
    first_day = timezone.localdate(now) - datetime.timedelta(days=WEEKS * 7 - 1)
    for offset in range(WEEKS * 7 - 2):
        day = first_day + datetime.timedelta(days=offset)
        if day not in fees:
            fees[day] = fee_in_force(
                now=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
            )
        weekday = day.weekday()
        count = {5: rng.randint(2, 4), 6: rng.randint(0, 1)}.get(weekday, rng.randint(1, 2))
        for _n in range(count):
            open_shops = [s for s in shops if _open_on(s, day) and products[s.pk]]
            if not open_shops:
                continue
            # People buy bread and vegetables more often than bike tyres.
            weights = [FREQUENCY.get(_kind_of(shop), 1) for shop in open_shops]
            first = rng.choices(open_shops, weights=weights)[0]
            chosen = [first]
            if rng.random() < 0.2:
                others = [s for s in open_shops if s.pk != first.pk]
                if others:
                    chosen.append(rng.choice(others))
            placed_at = _at(day, _open_on(first, day), rng)
            past.purchase(
                shops=chosen,
                products=products,
                owners=owners,
                customer=rng.choice(neighbours),
                rider=rng.choice(riders),
                placed_at=placed_at,
                fee=fees[day],
                now=now,
                rng=rng,
            )
    past.save(figures)
    past.move_points(rng)


class _Past:
    """Purchases planned in memory, then written in bulk with their past moments."""

    def __init__(self):
        self.purchases: list[Purchase] = []
        self.orders: list[tuple[Purchase, Order, list[OrderLine], list[OrderEvent]]] = []
        self.jobs: list[tuple[DeliveryJob, list[Order], list[JobEvent], datetime.datetime]] = []
        self.payments: list[Payment] = []
        # (moment, what, order): the value moves to replay through the loyalty services.
        self.moves: list[tuple[datetime.datetime, str, Order]] = []

    def purchase(self, *, shops, products, owners, customer, rider, placed_at, fee, now, rng):
        user, postcode, street = customer
        delivery = (
            all(s.offers_delivery and s.delivery_collective_id for s in shops)
            and rng.random() < 0.5
        )
        slots = {}
        if not delivery:
            # Pickup slots that were over before today; a shop with none is left out.
            for shop in shops:
                slots[shop.pk] = [
                    start for start, _end in pickup_slots(shop, placed_at) if start < now - HOUR
                ][:4]
            shops = [shop for shop in shops if slots[shop.pk]]
        if not shops:
            return
        number = len(self.purchases) + 1
        address = _address(postcode, street, rng) if delivery else None
        purchase = Purchase(
            customer=user,
            checkout_token=TOKEN.format(number),
            name=user.display_name,
            email=user.email,
            phone="+49 30 555 0100",
            payment_method=Purchase.PaymentMethod.ON_COLLECTION,
            total=_money(Decimal("0")),
            created_at=placed_at,
            updated_at=placed_at,
        )
        baskets = {}
        for shop in shops:
            picks = rng.sample(products[shop.pk], k=min(len(products[shop.pk]), rng.randint(1, 3)))
            baskets[shop.pk] = [(p, _quantity(p, rng)) for p in picks]
        delivery_fees = {}
        if delivery:
            litres = sum(
                (goods_load(p, q)[1] for basket in baskets.values() for p, q in basket),
                Decimal("0"),
            )
            delivery_fees = quote_delivery(shops, address.point, litres).shares
        roll = rng.random()
        outcome = "cancelled" if roll < 0.05 else "rejected" if roll < 0.08 else "done"
        moment = placed_at
        orders = []
        grand_total = Decimal("0")
        for n, shop in enumerate(shops):
            lines = [
                OrderLine(
                    product=p,
                    title=p.title,
                    sku=p.sku,
                    unit=p.unit,
                    quantity=q,
                    unit_price=p.price,
                    vat_rate=p.vat_rate,
                    line_total=_money(p.price.amount * q),
                )
                for p, q in baskets[shop.pk]
            ]
            subtotal = sum((line.line_total.amount for line in lines), Decimal("0"))
            vat = sum(
                (
                    _cents(line.line_total.amount * line.vat_rate / (100 + line.vat_rate))
                    for line in lines
                ),
                Decimal("0"),
            )
            delivery_fee = delivery_fees.get(shop.pk, _money(Decimal("0"))).amount
            order = Order(
                shop=shop,
                fulfilment=Order.Fulfilment.DELIVERY if delivery else Order.Fulfilment.PICKUP,
                subtotal=_money(subtotal),
                vat_included=_money(vat),
                delivery_fee=_money(delivery_fee),
                platform_fee_percent=fee.percent,
                fee_decision=fee.decision,
                platform_fee=_money(subtotal * fee.percent / 100),
                total=_money(subtotal + delivery_fee),
                pickup_code=Order.new_pickup_code(),
                created_at=placed_at,
            )
            grand_total += subtotal + delivery_fee
            if delivery:
                order.delivery_street, order.delivery_postcode = address.street, address.postcode
                order.delivery_city = address.city
                order.delivery_latitude, order.delivery_longitude = (
                    address.latitude,
                    address.longitude,
                )
            else:
                order.pickup_from = rng.choice(slots[shop.pk])
                order.pickup_until = order.pickup_from + datetime.timedelta(
                    minutes=shop.pickup_slot_minutes
                )
            actor = owners.get(shop.pk)
            steps = [(None, Order.Status.PLACED, user, "", placed_at)]
            if outcome == "cancelled" or (outcome == "rejected" and n == 0):
                moment += datetime.timedelta(minutes=rng.randint(5, 45))
                status = Order.Status.CANCELLED if outcome == "cancelled" else Order.Status.REJECTED
                who, note = (
                    (user, "")
                    if outcome == "cancelled"
                    else (actor, "Sold out this morning, sorry.")
                )
                steps.append((Order.Status.PLACED, status, who, note, moment))
                self.moves.append((moment, "return", order))
            else:
                for before, after in (
                    (Order.Status.PLACED, Order.Status.ACCEPTED),
                    (Order.Status.ACCEPTED, Order.Status.READY),
                ):
                    moment += datetime.timedelta(minutes=rng.randint(8, 35))
                    steps.append((before, after, actor, "", moment))
                if not delivery:
                    done = max(moment, order.pickup_from) + datetime.timedelta(
                        minutes=rng.randint(0, 25)
                    )
                    steps.append((Order.Status.READY, Order.Status.COLLECTED, actor, "", done))
                    self.moves.append((done, "earn", order))
            order.status = steps[-1][1]
            orders.append((order, lines, steps))
        self.moves.append((placed_at, "spend", orders[0][0]))
        purchase.total = _money(grand_total)
        self.purchases.append(purchase)
        self.payments.append(
            Payment(
                purchase=purchase,
                provider=purchase.payment_method,
                amount=purchase.total,
                created_at=placed_at,
                updated_at=placed_at,
            )
        )
        riding = [order for order, _lines, _steps in orders if order.status == Order.Status.READY]
        if delivery and riding:
            self._ride(purchase, riding, orders, rider, moment, rng)
        done_orders = [
            o
            for o, _l, _s in orders
            if o.status in (Order.Status.COLLECTED, Order.Status.DELIVERED)
        ]
        refunded = done_orders and rng.random() < 0.04
        if refunded:
            order, lines, steps = next(item for item in orders if item[0] is done_orders[-1])
            refund_at = steps[-1][4] + datetime.timedelta(days=1)
            refunded = refund_at < now
        if refunded:
            # Something was wrong with the goods: the shop refunded the order the next day.
            steps.append(
                (
                    order.status,
                    Order.Status.REFUNDED,
                    owners.get(order.shop_id),
                    _("Refunded."),
                    refund_at,
                )
            )
            order.status = Order.Status.REFUNDED
            self.moves.append((refund_at, "reverse", order))
        for order, lines, steps in orders:
            order.updated_at = steps[-1][4]
            events = [
                OrderEvent(
                    from_status=before or "",
                    to_status=after,
                    actor=who,
                    note=note,
                    created_at=at,
                )
                for before, after, who, note, at in steps
            ]
            self.orders.append((purchase, order, lines, events))

    def _ride(self, purchase, riding, orders, rider, ready_at, rng):
        """The ready orders of a delivery purchase on one job, ridden by `rider`."""
        collective = riding[0].shop.delivery_collective
        first = riding[0]
        kg = litres = Decimal("0")
        for order in riding:
            lines = next(lines for o, lines, _s in orders if o is order)
            for line in lines:
                line_kg, line_litres = goods_load(line.product, line.quantity)
                kg, litres = kg + line_kg, litres + line_litres
        drop = Point(first.delivery_latitude, first.delivery_longitude)
        route = ride_km(
            pickups=[Point(o.shop.latitude, o.shop.longitude) for o in riding], drop=drop
        )
        claimed = ready_at + datetime.timedelta(minutes=rng.randint(3, 20))
        picked = claimed + datetime.timedelta(minutes=rng.randint(6, 15) * len(riding))
        delivered = picked + datetime.timedelta(minutes=rng.randint(8, 25))
        job = DeliveryJob(
            collective=collective,
            purchase=purchase,
            status=DeliveryJob.Status.DELIVERED,
            courier=rider,
            drop_street=first.delivery_street,
            drop_postcode=first.delivery_postcode,
            drop_city=first.delivery_city,
            drop_latitude=first.delivery_latitude,
            drop_longitude=first.delivery_longitude,
            recipient_name=purchase.name,
            recipient_phone=purchase.phone,
            drop_after=ready_at,
            drop_before=ready_at + datetime.timedelta(hours=3),
            delivery_code=f"{rng.randrange(10000):04d}",
            weight_kg=kg,
            volume_litres=litres,
            distance_km=route,
            fee=_money(sum((o.delivery_fee.amount for o in riding), Decimal("0"))),
            courier_pay=courier_pay_for(
                collective=collective, route_km=route, currency=settings.DEFAULT_CURRENCY
            ),
            claimed_at=claimed,
            picked_up_at=picked,
            delivered_at=delivered,
            created_at=ready_at,
            updated_at=delivered,
        )
        events = [
            JobEvent(to_status=DeliveryJob.Status.OPEN, happened_at=ready_at, recorded_at=ready_at),
            JobEvent(
                courier=rider,
                to_status=DeliveryJob.Status.CLAIMED,
                happened_at=claimed,
                recorded_at=claimed,
            ),
            JobEvent(
                courier=rider,
                to_status=DeliveryJob.Status.PICKED_UP,
                happened_at=picked,
                recorded_at=picked,
            ),
            JobEvent(
                courier=rider,
                to_status=DeliveryJob.Status.DELIVERED,
                happened_at=delivered,
                recorded_at=delivered,
            ),
        ]
        for order in riding:
            steps = next(steps for o, _l, steps in orders if o is order)
            steps.append(
                (
                    Order.Status.READY,
                    Order.Status.OUT_FOR_DELIVERY,
                    None,
                    _("With the courier."),
                    picked,
                )
            )
            steps.append(
                (Order.Status.OUT_FOR_DELIVERY, Order.Status.DELIVERED, None, "", delivered)
            )
            order.status = Order.Status.DELIVERED
            self.moves.append((delivered, "earn", order))
        self.jobs.append((job, riding, events, picked))

    def save(self, figures: HistoryFigures) -> None:
        """Write everything in a few bulk inserts; auto_now fields are set back after."""
        _create(Purchase, self.purchases, "created_at", "updated_at")
        for payment in self.payments:
            payment.purchase_id = payment.purchase.pk
        _create(Payment, self.payments, "created_at", "updated_at")
        orders = []
        for purchase, order, _lines, _events in self.orders:
            order.purchase_id = purchase.pk
            orders.append(order)
        _create(Order, orders, "created_at", "updated_at")
        lines, events = [], []
        for _purchase, order, order_lines, order_events in self.orders:
            for line in order_lines:
                line.order_id = order.pk
            for event in order_events:
                event.order_id = order.pk
            lines += order_lines
            events += order_events
        OrderLine.objects.bulk_create(lines)
        _create(OrderEvent, events, "created_at")
        jobs = []
        for job, _riding, _events, _picked in self.jobs:
            job.purchase_id = job.purchase.pk
            jobs.append(job)
        _create(DeliveryJob, jobs, "created_at", "updated_at")
        pickups, job_events = [], []
        for job, riding, events, picked in self.jobs:
            pickups += [
                JobPickup(job=job, order=o, shop=o.shop, picked_up_at=picked) for o in riding
            ]
            for event in events:
                event.job = job
            job_events += events
        JobPickup.objects.bulk_create(pickups)
        _create(JobEvent, job_events, "recorded_at")
        statuses = [order.status for order in orders]
        figures.purchases, figures.orders = len(self.purchases), len(orders)
        figures.deliveries = len(jobs)
        figures.cancelled = statuses.count("cancelled") + statuses.count("rejected")
        figures.refunded = statuses.count("refunded")

    def move_points(self, rng: random.Random) -> None:
        """Replay, in the order it happened, every movement of points through the loyalty
        services, then date each ledger transaction to its moment."""
        stamps = []
        share = Decimal(settings.LOYALTY_MAX_DISCOUNT_PERCENT)
        for moment, what, order in sorted(self.moves, key=lambda move: (move[0], move[2].pk)):
            if what == "spend":
                purchase = order.purchase
                customer = purchase.customer
                balance = loyalty.account_for_supporter(customer).balance
                if balance < 200 or rng.random() >= 0.4:
                    continue
                # Some neighbours paid part of the bill with the points they had earned.
                points = min(balance, int(order.subtotal.amount * share), 500)
                record = loyalty.points_spend_on_order(order=order, user=customer, points=points)
                discount = Money(Decimal(points) / 100, order.total.currency)
                order.points_redeemed, order.points_discount = points, discount
                order.total -= discount
                order.save(update_fields=["points_redeemed", "points_discount", "total"])
                Purchase.objects.filter(pk=purchase.pk).update(total=purchase.total - discount)
            elif what == "earn":
                record = loyalty.points_award_for_order(order=order)
            elif what == "return":
                record = loyalty.points_return_for_order(order=order)
            else:
                record = loyalty.points_reverse_for_order(order=order)
            if record is not None:
                record.created_at = moment
                stamps.append(record)
        LedgerTransaction.objects.bulk_update(stamps, ["created_at"], batch_size=500)


def _create(model, rows, *fields) -> None:
    """bulk_create, keeping the past moments planned in `fields` that auto_now and
    auto_now_add would overwrite with the present (fixture loading, one process)."""
    stamped = [model._meta.get_field(name) for name in fields]
    flags = [(field.auto_now, field.auto_now_add) for field in stamped]
    for field in stamped:
        field.auto_now = field.auto_now_add = False
    try:
        model.objects.bulk_create(rows, batch_size=500)
    finally:
        for field, (auto_now, auto_now_add) in zip(stamped, flags, strict=True):
            field.auto_now, field.auto_now_add = auto_now, auto_now_add
