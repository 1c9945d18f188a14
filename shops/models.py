import datetime
import functools
from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.models.validators import MinMoneyValidator

from marketplace.models import TimeStamped


class Label(models.Model):
    """A mark a shop or product carries: organic, fair trade, repair, second-hand …"""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("label")
        verbose_name_plural = _("labels")
        ordering = ["name"]

    def __str__(self):
        return self.name


@functools.lru_cache(maxsize=64)
def _url_pattern_for(name: str, arguments: tuple[str, ...], prefix: str, urlconf) -> str:
    marks = {argument: f"urlmark{n}x" for n, argument in enumerate(arguments)}
    url = reverse(name, kwargs=marks, urlconf=urlconf).replace("{", "{{").replace("}", "}}")
    for argument, mark in marks.items():
        url = url.replace(mark, "{" + argument + "}")
    return url


def _url_pattern(name: str, arguments: tuple[str, ...]) -> str:
    """The URL `name` as a str.format pattern, reversed once: product and shop links are
    most of a listing's reverse() calls, which each walk the URL resolver."""
    return _url_pattern_for(name, arguments, get_script_prefix(), get_urlconf())


class Shop(TimeStamped):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.APPLIED
    )
    street = models.CharField(_("street and number"), max_length=160)
    postcode = models.CharField(_("postcode"), max_length=12)
    city = models.CharField(_("city"), max_length=80)
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="shops/logos/", blank=True)
    labels = models.ManyToManyField(
        Label, blank=True, related_name="shops", verbose_name=_("labels")
    )
    # Pickup and delivery, as the shop sets them.
    pickup_lead_minutes = models.PositiveIntegerField(
        _("pickup lead time (minutes)"),
        default=60,
        help_text=_("How long after ordering the earliest pickup slot starts."),
    )
    pickup_slot_minutes = models.PositiveIntegerField(
        _("pickup slot length (minutes)"),
        default=30,
        validators=[MinValueValidator(10), MaxValueValidator(240)],
    )
    offers_delivery = models.BooleanField(_("offers same-day delivery"), default=False)
    delivery_radius_km = models.DecimalField(
        _("delivery radius (km)"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("3.0"),
        validators=[MinValueValidator(0)],
    )
    delivery_collective = models.ForeignKey(
        "logistics.Collective",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shops",
        verbose_name=_("delivered by"),
    )

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["status", "name"]),
            models.Index(fields=["latitude", "longitude"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90)
                & Q(longitude__gte=-180, longitude__lte=180),
                name="shop_coordinates_on_earth",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return _url_pattern("shops:shop_detail", ("slug",)).format(slug=quote(self.slug))

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}"


class OpeningHours(models.Model):
    """One opening interval on one weekday; a day may have several (lunch breaks)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lt=models.F("closes")), name="opens_before_closes"
            ),
            models.UniqueConstraint(fields=["shop", "weekday", "opens"], name="one_interval_start"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def covers(self, moment: datetime.datetime) -> bool:
        local = timezone.localtime(moment)
        return local.weekday() == self.weekday and self.opens <= local.time() < self.closes


class ShopMembership(TimeStamped):
    """A person working for a shop. Owners manage the team; staff run the shop."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)

    class Meta:
        verbose_name = _("shop member")
        verbose_name_plural = _("shop members")
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="one_membership_per_shop"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.shop} ({self.role})"


class Category(models.Model):
    """A node of the category tree. `path` holds the slugs from the root ("food/dairy"), so
    a category and everything below it is one indexed prefix match."""

    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80)
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "slug"], name="unique_slug_per_parent"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path}/{self.slug}" if self.parent_id else self.slug
        super().save(*args, **kwargs)

    @property
    def depth(self) -> int:
        return self.path.count("/")


class Product(TimeStamped):
    class Unit(models.TextChoices):
        PIECE = "piece", _("piece")
        KILOGRAM = "kg", _("kg")
        LITRE = "litre", _("litre")
        HOUR = "hour", _("hour")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="products")
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    price = MoneyField(
        _("price"),
        max_digits=10,
        decimal_places=2,
        default_currency=settings.DEFAULT_CURRENCY,
        validators=[MinMoneyValidator(0)],
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("19.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, default=Unit.PIECE)
    # Available to sell: what search, pages and the API read. Goods set aside for open orders
    # are still in the shop but counted apart, so on hand = stock + allocated. Only
    # shops.services.stock changes these two.
    stock_quantity = models.DecimalField(
        _("in stock"), max_digits=10, decimal_places=3, default=Decimal("0")
    )
    allocated_quantity = models.DecimalField(
        _("set aside for orders"),
        max_digits=10,
        decimal_places=3,
        default=Decimal("0"),
        editable=False,
    )
    quantity_step = models.DecimalField(
        _("sold in steps of"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("Leave empty for the unit's usual step: 1 piece, 0.5 kg, 0.5 litre, 0.5 hour."),
    )
    # Per unit sold, for couriers' loads. For kg and litre the quantity is the weight.
    weight_kg = models.DecimalField(
        _("weight per unit (kg)"),
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    volume_litres = models.DecimalField(
        _("volume per unit (litres)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    always_available = models.BooleanField(
        _("always available"),
        default=False,
        help_text=_("For services and made-to-order goods: stock is not counted."),
    )
    sku = models.CharField(_("SKU"), max_length=64)
    labels = models.ManyToManyField(
        Label, blank=True, related_name="products", verbose_name=_("labels")
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Filled by a database trigger on Postgres (see migrations): title, category, description.
    search_vector = SearchVectorField(null=True, editable=False)
    # The title's words alone, filled by the same trigger: search takes products named after
    # the words first, and the GIN index of the whole vector cannot tell title words apart.
    title_vector = SearchVectorField(null=True, editable=False)
    # How good a result the product is, whatever the words: one that can be bought now
    # before one that cannot. Search takes a frequent word's candidates best first by it,
    # walking the index below instead of ranking every match.
    search_score = models.GeneratedField(
        expression=models.Case(
            models.When(Q(always_available=True) | Q(stock_quantity__gt=0), then=1),
            default=0,
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "sku"], name="unique_sku_per_shop"),
            models.UniqueConstraint(fields=["shop", "slug"], name="unique_slug_per_shop"),
            models.CheckConstraint(condition=Q(stock_quantity__gte=0), name="stock_not_negative"),
            models.CheckConstraint(
                condition=Q(allocated_quantity__gte=0), name="allocated_not_negative"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["shop", "is_active", "title"]),
            models.Index(fields=["category", "is_active"]),
            models.Index(fields=["price"]),
            models.Index(
                F("search_score").desc(),
                F("id").desc(),
                condition=Q(is_active=True),
                name="shops_product_search_score",
            ),
            # The listings' orders over active products (shops.selectors.product_search
            # without words): a page is read from the index instead of sorting every match.
            models.Index(
                fields=["title", "id"], condition=Q(is_active=True), name="product_listing_title"
            ),
            models.Index(
                fields=["category", "title", "id"],
                condition=Q(is_active=True),
                name="product_listing_category",
            ),
            models.Index(
                fields=["price", "title"], condition=Q(is_active=True), name="product_listing_price"
            ),
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(is_active=True),
                name="product_listing_newest",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        pattern = _url_pattern("shops:product_detail", ("shop_slug", "slug"))
        return pattern.format(shop_slug=quote(self.shop.slug), slug=quote(self.slug))

    @property
    def on_hand(self) -> Decimal:
        """Goods in the shop: available to sell and set aside for open orders."""
        return self.stock_quantity + self.allocated_quantity

    @property
    def in_stock(self) -> bool:
        return self.always_available or self.stock_quantity > 0

    @property
    def main_photo(self):
        # Uses the prefetched photos when present, so list pages stay at a fixed query count.
        photos = list(self.photos.all())
        return photos[0] if photos else None


class ProductPhoto(TimeStamped):
    """A product photo, stored re-encoded without metadata; thumbnails come from a task."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("image"), upload_to="products/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="products/thumbs/", blank=True)
    alt_text = models.CharField(_("description for screen readers"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("product photo")
        verbose_name_plural = _("product photos")
        ordering = ["position", "id"]

    def __str__(self):
        return self.alt_text or f"{self.product} #{self.position}"


class UnmetSearch(models.Model):
    """A search that found nothing: what people want and nobody sells. Never who asked."""

    term = models.CharField(_("term"), max_length=200)
    created_at = models.DateTimeField(_("searched at"), default=timezone.now)
    area = models.CharField(
        _("rough area"),
        max_length=20,
        blank=True,
        help_text=_("A postcode or a position rounded to about 1 km; never the person."),
    )

    class Meta:
        verbose_name = _("search without result")
        verbose_name_plural = _("searches without result")
        indexes = [models.Index(fields=["created_at", "term"])]

    def __str__(self):
        return self.term


class ProductImport(TimeStamped):
    """An uploaded product file: checked and previewed first, applied as a whole or not at
    all, matched to products by SKU."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Checked, waiting to be applied")
        REFUSED = "refused", _("Has errors")
        APPLYING = "applying", _("Being applied")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed, nothing changed")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/")
    filename = models.CharField(max_length=255)
    status = models.CharField(max_length=12, choices=Status.choices)
    row_count = models.PositiveIntegerField(default=0)
    to_create = models.PositiveIntegerField(default=0)
    to_update = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("product import")
        verbose_name_plural = _("product imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"


class ApiToken(TimeStamped):
    """A till's or inventory system's key to one shop's inventory API. Only a hash is
    stored; the token is shown once, when it is made."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80, help_text=_("e.g. “Till at the counter”"))
    prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ShopClosure(models.Model):
    """Days a shop is closed despite its weekly hours: holidays, stocktaking."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="closures")
    first_day = models.DateField(_("closed from"))
    last_day = models.DateField(_("closed until"))
    note = models.CharField(_("note for customers"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["first_day"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_day__lte=models.F("last_day")), name="closure_in_order"
            ),
        ]

    def __str__(self):
        return f"{self.shop}: {self.first_day}–{self.last_day}"

    def covers(self, day: datetime.date) -> bool:
        return self.first_day <= day <= self.last_day


class TeamInvitation(TimeStamped):
    """An owner's invitation to join the shop's team, accepted through an emailed link."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    role = models.CharField(
        _("role"),
        max_length=10,
        choices=ShopMembership.Role.choices,
        default=ShopMembership.Role.STAFF,
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("team invitation")
        verbose_name_plural = _("team invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} → {self.shop}"


# Shopping lists ------------------------------------------------------------------------------


class ShoppingList(TimeStamped):
    """A customer's list of things to get, written as on paper. Kept for an account, or for
    a visitor by a key in their session until they log in."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="shopping_lists",
    )
    visitor_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    name = models.CharField(_("name"), max_length=80)
    # Where the customer starts from, as they last said (browser position or typed place).
    start_latitude = models.FloatField(null=True, blank=True)
    start_longitude = models.FloatField(null=True, blank=True)
    start_label = models.CharField(_("starting from"), max_length=120, blank=True)
    round_trip = models.BooleanField(_("come back to the start"), default=True)
    # When the customer plans to set off; empty (or passed) means now.
    sets_off_at = models.DateTimeField(_("setting off"), null=True, blank=True)

    class Meta:
        verbose_name = _("shopping list")
        verbose_name_plural = _("shopping lists")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["owner", "-updated_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=False) | ~Q(visitor_key=""),
                name="shopping_list_has_an_owner",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("shopping_list:detail", kwargs={"list_id": self.pk})

    @property
    def start(self):
        from marketplace.geo import Point

        if self.start_latitude is None or self.start_longitude is None:
            return None
        return Point(self.start_latitude, self.start_longitude)


class ShoppingListLine(models.Model):
    """One line as written ("2 kg potatoes"), what is looked for ("potatoes") and the
    amount understood (2 kg)."""

    class Measure(models.TextChoices):
        COUNT = "piece", _("pieces")
        PACK = "pack", _("packs")
        MASS = "kg", _("kg")
        VOLUME = "litre", _("litres")

    shopping_list = models.ForeignKey(ShoppingList, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"), default=0)
    text = models.CharField(_("line"), max_length=200)
    query = models.CharField(_("looked for"), max_length=200)
    amount = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    measure = models.CharField(max_length=8, choices=Measure.choices, blank=True)
    done = models.BooleanField(_("done"), default=False)
    # The offer the customer picked; otherwise the best match is used.
    chosen_product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("shopping list line")
        verbose_name_plural = _("shopping list lines")
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["shopping_list", "position"])]

    def __str__(self):
        return self.text

    @property
    def parsed_amount(self):
        from .lists.parsing import Amount

        if self.amount is None or not self.measure:
            return None
        return Amount(self.amount, self.measure)


class Synonym(models.Model):
    """What people write and what the node's shops call it: "spuds" → "potatoes". Edited
    by the node's operators in the admin; used when matching shopping lists."""

    term = models.CharField(
        _("people write"), max_length=80, unique=True, help_text=_("e.g. “spuds”")
    )
    alternatives = models.CharField(
        _("shops call it"),
        max_length=300,
        help_text=_("One or more names, separated by commas, e.g. “potatoes”."),
    )

    class Meta:
        verbose_name = _("synonym")
        verbose_name_plural = _("synonyms")
        ordering = ["term"]

    def __str__(self):
        return f"{self.term} → {self.alternatives}"

    def save(self, *args, **kwargs):
        self.term = " ".join(self.term.lower().split())
        super().save(*args, **kwargs)


class SearchWord(models.Model):
    """A word of the catalogue (active products' titles and their category names) with the
    number of products it appears in: the lexicon that typed words are corrected against.
    On Postgres, triggers on the products table keep the counts current on every write path
    (forms, imports, bulk inserts) and a trigram index finds the words spelled like a typed
    one; see shops/migrations and shops.catalogue_words."""

    word = models.CharField(_("word"), max_length=100, primary_key=True)
    # May dip below zero only if the triggers were bypassed; search reads words above zero.
    products = models.IntegerField(_("products"), default=0)

    class Meta:
        verbose_name = _("catalogue word")
        verbose_name_plural = _("catalogue words")

    def __str__(self):
        return self.word
