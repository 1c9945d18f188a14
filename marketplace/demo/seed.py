"""The demo town: shops, products, a couriers' collective, members and one login per role.

Deterministic (every random choice comes from a generator seeded by the shop's slug) and
idempotent (rows are matched by slug, SKU or email, and only missing ones are created), so
`make run` can call it every time. Demo loading writes rows of every app directly, in bulk:
it is fixture loading, not a business operation, and 100,000 products must load in minutes.
"""

import datetime
import functools
import itertools
import math
import random
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import slugify
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from governance.models import Member
from logistics.demo import collective_demo_hours
from logistics.models import Collective, Courier
from marketplace.models import Postcode
from shops.lists.services import shopping_list_demo_load
from shops.models import Category, Label, OpeningHours, Product, ProductPhoto, Shop, ShopMembership
from shops.services.photos import shared_photo_files, shared_photo_store

from . import catalogue, pictures

DEMO_PASSWORD = "commonplace-demo"
DEMO_DOMAIN = "lindenfeld.example"
TOWN = "Lindenfeld"
EXTRA_QUALIFIERS = [
    "Classic",
    "Everyday",
    "Family",
    "Premium",
    "Regional",
    "Heritage",
    "House",
    "Limited",
    "Small-batch",
    "Traditional",
    "Handmade",
    "Seasonal",
]
WEIGHED_KINDS = {"cheese", "butcher", "refill"}
DELIVERING_KINDS = {"bakery", "grocer", "cheese", "coffee", "florist", "refill", "books"}
STREETS = [
    "Elm Road",
    "Baker Street",
    "Harbour Lane",
    "Willow Way",
    "Brook Street",
    "Hill Road",
    "Garden Row",
    "Mill Lane",
    "Orchard Way",
    "Castle Street",
    "Bridge Road",
    "Meadow Lane",
]


_CATEGORY_OF_BASE = {
    base: path for kind in catalogue.KINDS.values() for path, base, *_rest in kind["products"]
}
# A title is "variant base size" and variants can be other bases' names ("Cheese pretzel",
# "Chain lock"): the last base named in the title is the thing itself.
_BASES = re.compile(
    "|".join(re.escape(b.lower()) for b in sorted(_CATEGORY_OF_BASE, key=len, reverse=True))
)


_BASE_NAMES = {b.lower(): b for b in _CATEGORY_OF_BASE}


def _base_of(title: str) -> str:
    found = _BASES.findall(title.lower())
    return _BASE_NAMES[found[-1]] if found else "pasta"


@functools.cache
def demo_password_hash() -> str:
    return make_password(DEMO_PASSWORD)


@functools.cache
def _picture_files(base: str, path: str) -> tuple[bytes, bytes]:
    # Kept for the process: the test suite seeds many fresh media folders.
    return shared_photo_files(pictures.picture_jpeg(base, path))


def _insert_photos(photo, product_ids: list[int]) -> None:
    """One ProductPhoto per product, all pointing at the shared files. One INSERT … SELECT
    instead of the ORM's bulk_create: 100,000 model instances cost half a minute of CPU."""
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(c)
        for c in (
            "product_id",
            "image",
            "thumbnail",
            "alt_text",
            "position",
            "width",
            "height",
            "created_at",
            "updated_at",
        )
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(ProductPhoto._meta.db_table)} ({columns}) "
            f"SELECT {quote('id')}, %s, %s, SUBSTR({quote('title')}, 1, 200), 0, %s, %s, %s, %s "
            f"FROM {quote(Product._meta.db_table)} "
            f"WHERE {quote('id')} IN ({', '.join(['%s'] * len(product_ids))})",
            [photo.image, photo.thumbnail, photo.width, photo.height, now, now, *product_ids],
        )


def _copy_products(products: list[dict], label_slugs: list[list[str]], labels) -> None:
    """Products (field values by attname) and their label links by COPY (psycopg's
    `cursor.copy`), not bulk_create: the ORM's INSERT of 100,000 rows spends over half a
    minute of CPU compiling and binding two million parameters. Every concrete column the
    model has is written, a field's default where no value is given, so a column added
    later comes along; only columns the database generates are left out. The search vector
    is still filled by its trigger, which fires on COPY as on INSERT."""
    now = timezone.now()
    fields = [
        f
        for f in Product._meta.concrete_fields
        if not f.primary_key and not getattr(f, "generated", False)
    ]
    quote = connection.ops.quote_name
    getters = []
    for field in fields:
        name = field.attname
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            getters.append(lambda values: now)
        elif isinstance(field, MoneyField):
            getters.append(lambda values, name=name: values[name].amount)
        elif callable(field.default):
            # A callable default (a token, a uuid) is drawn for each row, as the ORM does.
            getters.append(
                lambda values, name=name, field=field: (
                    values[name] if name in values else field.get_default()
                )
            )
        elif field.has_default():
            default = field.get_default()
            getters.append(lambda values, name=name, default=default: values.get(name, default))
        else:
            getters.append(lambda values, name=name: values.get(name))
    table = quote(Product._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for values in products:
                copy.write_row([get(values) for get in getters])
        cursor.execute(
            f"SELECT {quote('sku')}, {quote('id')} FROM {table} "
            f"WHERE {quote('shop_id')} = %s AND {quote('sku')} = ANY(%s)",
            [products[0]["shop_id"], [values["sku"] for values in products]],
        )
        ids = dict(cursor.fetchall())
        through = Product.labels.through._meta
        with cursor.cursor.copy(
            f"COPY {quote(through.db_table)} ({quote('product_id')}, {quote('label_id')}) "
            "FROM STDIN"
        ) as copy:
            for values, slugs in zip(products, label_slugs, strict=True):
                for slug in slugs:
                    copy.write_row((ids[values["sku"]], labels[slug].pk))


@dataclass
class DemoLogin:
    role: str
    email: str
    note: str


def _offset(metres: tuple[float, float]) -> tuple[float, float]:
    lat0, lon0 = settings.NODE_CENTRE
    north, east = metres
    lat = lat0 + north / 111_320
    lon = lon0 + east / (111_320 * math.cos(math.radians(lat0)))
    return round(lat, 6), round(lon, 6)


def _money(value: float) -> Money:
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    # Prices end in .x0 or .x9 as shops price them.
    cents = int(amount * 100)
    cents = cents - cents % 10 + (9 if cents % 20 >= 10 else 0)
    return Money(Decimal(max(cents, 10)) / 100, settings.DEFAULT_CURRENCY)


class DemoTown:
    def __init__(self, *, products: int | None = None, shops: int | None = None, log=print):
        self.product_target = products
        self.shop_target = max(shops or len(catalogue.SHOPS), 1)
        self.log = log
        self.logins: list[DemoLogin] = []

    # Reference data ------------------------------------------------------------------------
    def load_reference_data(self):
        self.labels = {
            slug: Label.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in catalogue.LABELS
        }
        self.categories: dict[str, Category] = {}
        for path, name in catalogue.CATEGORIES:
            parent_path, _, slug = path.rpartition("/")
            category = Category.objects.filter(path=path).first()
            if category is None:
                category = Category(
                    name=name,
                    slug=slug,
                    parent=self.categories.get(parent_path) if parent_path else None,
                )
                category.save()
            self.categories[path] = category
        for code, name, metres in catalogue.POSTCODES:
            lat, lon = _offset(metres)
            Postcode.objects.get_or_create(
                code=code, defaults={"name": name, "latitude": lat, "longitude": lon}
            )

    # Shops ---------------------------------------------------------------------------------
    def shop_specs(self):
        specs = [(spec, Shop.Status.ACTIVE) for spec in catalogue.SHOPS[: self.shop_target]]
        kinds = list(catalogue.SHOPS)
        for n in range(len(specs), self.shop_target):
            base = kinds[n % len(kinds)]
            street = STREETS[n % len(STREETS)]
            rng = random.Random(f"shop-{n}")
            name = f"{base[0].split(' ')[-1]} on {street} {n // len(STREETS) + 1}"
            spec = (
                name,
                base[1],
                f"{street} {n % 40 + 1}",
                base[3],
                (rng.uniform(-2500, 2500), rng.uniform(-2500, 2500)),
                base[5],
                base[6],
            )
            specs.append((spec, Shop.Status.ACTIVE))
        specs.append((catalogue.APPLYING_SHOP, Shop.Status.APPLIED))
        return specs

    def load_shop(self, spec, status) -> tuple[Shop, bool]:
        name, kind, street, postcode, metres, label_slugs, description = spec
        slug = slugify(name)
        shop = Shop.objects.filter(slug=slug).first()
        if shop is not None:
            return shop, False
        lat, lon = _offset(metres)
        shop = Shop.objects.create(
            name=name,
            slug=slug,
            description=description,
            status=status,
            street=street,
            postcode=postcode,
            city=TOWN,
            latitude=lat,
            longitude=lon,
            phone=f"+49 30 555 {sum(map(ord, slug)) % 9000 + 1000}",
            email=f"hello@{slug[:40]}.{DEMO_DOMAIN}",
        )
        shop.labels.set([self.labels[s] for s in label_slugs])
        hours = []
        for (first, last), opens, closes in catalogue.KINDS[kind]["hours"]:
            for weekday in range(first, last + 1):
                hours.append(
                    OpeningHours(
                        shop=shop,
                        weekday=weekday,
                        opens=datetime.time.fromisoformat(opens),
                        closes=datetime.time.fromisoformat(closes),
                    )
                )
        OpeningHours.objects.bulk_create(hours)
        return shop, True

    # Products ------------------------------------------------------------------------------
    def product_titles(self, kind: str, count: int | None):
        """(category path, title, unit, price range, price group, factor, base) in a fixed
        order; beyond the natural combinations, qualified and then numbered variants so any
        count can be reached. Sizes of one group share a base price (see catalogue.KINDS)."""
        natural = []
        for path, base, unit, prices, variants, sizes in catalogue.KINDS[kind]["products"]:
            for variant, size in itertools.product(variants, sizes):
                label, factor = catalogue.size_label_and_factor(size)
                title = " ".join(p for p in (variant, base, label) if p)
                title = title[:1].upper() + title[1:]
                natural.append((path, title, unit, prices, (variant, base), factor, base))
        if count is None or count <= len(natural):
            return natural if count is None else natural[:count]
        titles = list(natural)
        for qualifier in EXTRA_QUALIFIERS:
            for path, title, unit, prices, group, factor, base in natural:
                title = f"{qualifier} {title[:1].lower()}{title[1:]}"
                titles.append((path, title, unit, prices, (qualifier, *group), factor, base))
                if len(titles) >= count:
                    return titles
        edition = 2
        while len(titles) < count:
            for path, title, unit, prices, group, factor, base in natural:
                title = f"{title}, no. {edition}"
                titles.append((path, title, unit, prices, (edition, *group), factor, base))
                if len(titles) >= count:
                    break
            edition += 1
        return titles

    def load_products(self, shop: Shop, kind: str, count: int | None) -> int:
        rng = random.Random(f"products-{shop.slug}")
        existing = set(shop.products.values_list("sku", flat=True))
        vat = Decimal(catalogue.KINDS[kind]["vat"])
        prefix = "".join(word[0] for word in shop.slug.split("-") if word)[:4].upper()
        new_products, new_labels, used_slugs = [], [], set()
        group_prices: dict[tuple, float] = {}
        titles = self.product_titles(kind, count)
        for n, (path, title, unit, (low, high), group, factor, _base) in enumerate(titles):
            # Draw every random number whether or not the row exists, so reruns line up.
            drawn = rng.uniform(low, high)
            price = _money(group_prices.setdefault(group, drawn) * factor)
            stock_roll = rng.random()
            organic = rng.random() < 0.2
            phrase = rng.choice(catalogue.DESCRIPTION_PHRASES)
            vegan = rng.random() < 0.15
            sku = f"{prefix}-{n + 1:05d}"
            slug = slugify(title)[:200] or f"product-{n + 1}"
            if slug in used_slugs:
                slug = f"{slug}-{n + 1}"
            used_slugs.add(slug)
            if sku in existing:
                continue
            always = unit == Product.Unit.HOUR
            # Cheese, meat and nuts are weighed out by the 100 g at the counter.
            step = Decimal("0.1") if unit == "kg" and kind in WEIGHED_KINDS else None
            if always:
                stock = Decimal("0")
            elif stock_roll < 0.12:
                stock = Decimal("0")
            elif unit in (Product.Unit.KILOGRAM, Product.Unit.LITRE):
                stock = Decimal(str(round(5 + stock_roll * 60, 1)))
            else:
                stock = Decimal(int(1 + stock_roll * 40))
            words = [phrase]
            if organic:
                words.insert(0, "Certified organic.")
            description = f"{title}. " + " ".join(words)
            # Field values rather than Product instances: building 100,000 model instances
            # costs several seconds of CPU that COPY does not need.
            new_products.append(
                {
                    "shop_id": shop.pk,
                    "title": title,
                    "slug": slug,
                    "description": description,
                    "category_id": self.categories[path].pk,
                    "price": price,
                    "price_currency": price.currency.code,
                    "vat_rate": vat,
                    "unit": unit,
                    "stock_quantity": stock,
                    "always_available": always,
                    "sku": sku,
                    "is_active": True,
                    "quantity_step": step,
                }
            )
            new_labels.append([s for s, on in (("organic", organic), ("vegan", vegan)) if on])
        if not new_products:
            return 0
        if connection.vendor == "postgresql":
            _copy_products(new_products, new_labels, self.labels)
        else:
            batch = 2000
            through = Product.labels.through
            for start in range(0, len(new_products), batch):
                chunk = Product.objects.bulk_create(
                    Product(**values) for values in new_products[start : start + batch]
                )
                through.objects.bulk_create(
                    through(product_id=product.pk, label_id=self.labels[slug].pk)
                    for product, slugs in zip(chunk, new_labels[start : start + batch], strict=True)
                    for slug in slugs
                )
        return len(new_products)

    # Photos --------------------------------------------------------------------------------
    def load_photos(self, shop_ids: list[int]) -> tuple[int, int]:
        """Every demo product without a photo gets the picture of its kind (one file per base
        name, drawn once and shared by every product of that kind, so 100,000 products need
        the same few dozen files). Returns (photos added, pictures drawn)."""
        missing = list(
            Product.objects.filter(shop_id__in=shop_ids, photos__isnull=True)
            .order_by("pk")
            .values_list("pk", "title")
        )
        if not missing:
            return 0, 0
        drawn = []
        by_base: dict[str, list[int]] = {}
        for pk, title in missing:
            by_base.setdefault(_base_of(title), []).append(pk)
        for base, product_ids in by_base.items():
            path = _CATEGORY_OF_BASE[base]

            def draw(base=base, path=path):
                drawn.append(base)
                return _picture_files(base, path)

            photo = shared_photo_store(name=slugify(base), make_files=draw)
            for start in range(0, len(product_ids), 5000):
                _insert_photos(photo, product_ids[start : start + 5000])
        return len(missing), len(drawn)

    # People --------------------------------------------------------------------------------
    def person(self, local: str, name: str, *, role: str, note: str, staff=False) -> object:
        User = get_user_model()
        email = f"{local}@{DEMO_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=None,
                display_name=name,
                first_name=name.split(" ")[0],
                last_name=name.split(" ")[-1],
                is_staff=staff,
                is_superuser=staff,
            )
            # One hash for every demo login: hashing is slow on purpose, 25 times over.
            user.password = demo_password_hash()
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        self.logins.append(DemoLogin(role=role, email=email, note=note))
        return user

    def load_people(self, shops: list[Shop]):
        today = timezone.localdate()
        self.person(
            "operator", "Olga Operator", role="operator", note="Django admin at /admin/", staff=True
        )
        self.person("customer", "Chris Customer", role="customer", note="shops and searches")
        baker = self.person("baker", "Bea Baker", role="shop owner", note=f"owns {shops[0].name}")
        staff = self.person(
            "shopstaff",
            "Sam Staff",
            role="shop staff",
            note=f"works at {shops[0].name} and {shops[1].name}",
        )
        grocer = self.person(
            "grocer", "Greta Grocer", role="shop owner", note=f"owns {shops[1].name}"
        )
        ShopMembership.objects.get_or_create(shop=shops[0], user=baker, defaults={"role": "owner"})
        ShopMembership.objects.get_or_create(shop=shops[0], user=staff, defaults={"role": "staff"})
        ShopMembership.objects.get_or_create(shop=shops[1], user=staff, defaults={"role": "staff"})
        ShopMembership.objects.get_or_create(shop=shops[1], user=grocer, defaults={"role": "owner"})
        # Every other shop gets an owner too, so each can vote.
        for shop in shops[2 : len(catalogue.SHOPS)]:
            owner = self._quiet_person(f"owner-{shop.slug}", f"{shop.name} Owner")
            ShopMembership.objects.get_or_create(shop=shop, user=owner, defaults={"role": "owner"})

        collective, _ = Collective.objects.get_or_create(
            slug="lindenfeld-cargo-riders",
            defaults={
                "name": "Lindenfeld Cargo Riders",
                "description": "A riders' cooperative delivering by cargo bike since 2019.",
                "phone": "+49 30 555 0199",
                "email": f"dispatch@{DEMO_DOMAIN}",
                "service_radius_km": Decimal("6"),
            },
        )
        collective_demo_hours(collective)
        # Food shops deliver by the collective's cargo bikes; the rest offer pickup only.
        delivering = [slugify(spec[0]) for spec in catalogue.SHOPS if spec[1] in DELIVERING_KINDS]
        Shop.objects.filter(slug__in=delivering, delivery_collective__isnull=True).update(
            offers_delivery=True, delivery_collective=collective, delivery_radius_km=Decimal("4")
        )
        riders = [
            ("courier", "Kim Courier", Courier.Vehicle.CARGO_BIKE, 60, 150, False, "courier"),
            (
                "dispatcher",
                "Dana Dispatcher",
                Courier.Vehicle.E_CARGO_BIKE,
                100,
                250,
                True,
                "dispatcher",
            ),
        ]
        for local, name, vehicle, kg, litres, dispatcher, role in riders:
            user = self.person(local, name, role=role, note=f"rides for {collective.name}")
            Courier.objects.get_or_create(
                user=user,
                collective=collective,
                defaults={
                    "vehicle": vehicle,
                    "capacity_kg": kg,
                    "capacity_litres": litres,
                    "is_dispatcher": dispatcher,
                },
            )
        for n, (vehicle, kg, litres) in enumerate(
            [
                (Courier.Vehicle.BIKE, 15, 40),
                (Courier.Vehicle.FOOT, 8, 20),
            ]
        ):
            user = self._quiet_person(f"rider-{n + 1}", f"Rider {n + 1}")
            Courier.objects.get_or_create(
                user=user,
                collective=collective,
                defaults={"vehicle": vehicle, "capacity_kg": kg, "capacity_litres": litres},
            )

        # The members are shops (GOVERNANCE_MEMBER_KINDS), so the member login co-owns one
        # that has not voted on the open proposals yet: they vote and read the noticeboard.
        bookshop = shops[5] if len(shops) > 5 else shops[-1]
        supporter = self.person(
            "member",
            "Mo Member",
            role="cooperative member",
            note=f"co-owns {bookshop.name}: votes for it, reads the noticeboard",
        )
        ShopMembership.objects.get_or_create(
            shop=bookshop, user=supporter, defaults={"role": "owner"}
        )
        joined = today - datetime.timedelta(days=400)
        for shop in shops[: len(catalogue.SHOPS)]:
            Member.objects.get_or_create(
                kind=Member.Kind.SHOP, shop=shop, defaults={"joined_on": joined}
            )
        Member.objects.get_or_create(
            kind=Member.Kind.COLLECTIVE, collective=collective, defaults={"joined_on": joined}
        )
        Member.objects.get_or_create(
            kind=Member.Kind.SUPPORTER,
            user=supporter,
            defaults={"joined_on": today - datetime.timedelta(days=90)},
        )

    def _quiet_person(self, local: str, name: str):
        before = len(self.logins)
        user = self.person(local, name, role="", note="")
        del self.logins[before:]
        return user

    # All -----------------------------------------------------------------------------------
    def load(self):
        started = timezone.now()
        with transaction.atomic():
            self.load_reference_data()
        specs = self.shop_specs()
        active_specs = [(spec, status) for spec, status in specs if status == Shop.Status.ACTIVE]
        per_shop = None
        if self.product_target is not None:
            per_shop = math.ceil(self.product_target / len(active_specs))
        shops, shops_all, created_products = [], [], 0
        remaining = self.product_target
        for spec, status in specs:
            with transaction.atomic():
                shop, _ = self.load_shop(spec, status)
                count = per_shop
                if status == Shop.Status.APPLIED:
                    count = 5
                elif remaining is not None:
                    count = max(0, min(per_shop, remaining))
                    remaining -= count
                created_products += self.load_products(shop, spec[1], count)
            shops_all.append(shop)
            if status == Shop.Status.ACTIVE:
                shops.append(shop)
        if created_products and connection.vendor == "postgresql":
            # What follows (the demo shopping list, the order history) searches the fresh
            # catalogue: without statistics the planner scans it for every query.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"ANALYZE {connection.ops.quote_name(Product._meta.db_table)}, "
                    f"{connection.ops.quote_name(Product.labels.through._meta.db_table)}"
                )
        with transaction.atomic():
            self.load_people(shops)
            shopping_list_demo_load()
        from loyalty.demo import load_loyalty_demo

        load_loyalty_demo(shops=shops, domain=DEMO_DOMAIN)
        from loyalty.presales.demo import load_presale_demo

        load_presale_demo(shops=shops, domain=DEMO_DOMAIN)
        from governance.demo import load_governance_demo

        self.logins += [DemoLogin(*row) for row in load_governance_demo(domain=DEMO_DOMAIN)]
        from .history import load_history

        self.history = load_history(shops=shops, domain=DEMO_DOMAIN)
        with transaction.atomic():
            self.photos_added, self.pictures_drawn = self.load_photos([s.pk for s in shops_all])
        if connection.vendor == "postgresql":
            # Fresh bulk loads have no planner statistics until autovacuum gets round to them.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.seconds = (timezone.now() - started).total_seconds()
        self.created_products = created_products
        return self.logins

    def summary(self, *, emails_held_back: int = 0) -> list[str]:
        """A few lines on what the town holds; the first is read by bench/run.py."""
        from governance.models import NoticeboardPost, Proposal
        from orders.models import Order

        history = self.history
        orders = Order.objects.aggregate(
            total=Count("pk"),
            delivered=Count("pk", filter=Q(status=Order.Status.DELIVERED)),
            collected=Count("pk", filter=Q(status=Order.Status.COLLECTED)),
        )
        proposals = Proposal.objects.aggregate(
            total=Count("pk"), open=Count("pk", filter=Q(status=Proposal.Status.OPEN))
        )
        lines = [
            f"Demo town {TOWN}: {Shop.objects.count()} shops, {Product.objects.count()} products "
            f"({self.created_products} new) in {self.seconds:.1f} s.",
            f"  photos: {self.photos_added} added, {self.pictures_drawn} pictures drawn",
            f"  orders: {orders['total']} ({orders['collected']} collected, "
            f"{orders['delivered']} delivered); {history.orders} new over {history.weeks} weeks",
            f"  cooperative: {proposals['total']} proposals ({proposals['open']} open), "
            f"{NoticeboardPost.objects.count()} noticeboard posts; "
            f"{history.settlements} points settlements new",
        ]
        if emails_held_back:
            lines.append(f"  {emails_held_back} emails to demo people kept back (not sent)")
        return lines
