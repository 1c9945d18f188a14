"""Product imports: check and preview, then apply all rows in one transaction or none."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from marketplace import events

from .. import catalogue_files as files
from ..catalogue_cache import catalogue_changed
from ..models import Label, Product, ProductImport, Shop

# Files up to this many rows are applied while the person waits; larger ones by a worker.
INLINE_ROWS = 1000
PROGRESS_EVERY = 250


def progress_key(import_id: int) -> str:
    return f"product-import-progress-{import_id}"


def import_progress(*, product_import: ProductImport) -> int:
    """Rows applied so far (kept in the cache: the applying transaction is not visible)."""
    if product_import.status == ProductImport.Status.APPLIED:
        return product_import.row_count
    return cache.get(progress_key(product_import.pk), 0)


@dataclass
class Plan:
    parsed: files.ParsedFile
    create: list
    update: list  # (product, row)
    unchanged: int


def _plan(shop: Shop, parsed: files.ParsedFile, *, lock: bool = False) -> Plan:
    existing = Product.objects.filter(shop=shop, sku__in=[row.sku for row in parsed.rows])
    if lock:
        existing = existing.select_for_update().order_by("pk")
    by_sku = {product.sku: product for product in existing.prefetch_related("labels")}
    create, update, unchanged = [], [], 0
    for row in parsed.rows:
        product = by_sku.get(row.sku)
        if product is None:
            create.append(row)
            continue
        same = all(getattr(product, name) == value for name, value in row.values.items())
        if row.labels is not None:
            same = same and sorted(label.slug for label in product.labels.all()) == row.labels
        if same:
            unchanged += 1
        else:
            update.append((product, row))
    return Plan(parsed=parsed, create=create, update=update, unchanged=unchanged)


def _read(product_import: ProductImport) -> files.ParsedFile:
    with product_import.file.open("rb") as handle:
        return files.parse(files.read_table(handle, product_import.filename))


@transaction.atomic
def product_import_preview(*, shop: Shop, user, upload) -> ProductImport:
    """Store the file and check it. A file we cannot read at all, or with any bad row, is
    kept as refused with every error listed; nothing in the catalogue changes."""
    product_import = ProductImport(
        shop=shop, uploaded_by=user, filename=upload.name[:255], status=ProductImport.Status.REFUSED
    )
    product_import.file.save(upload.name, upload, save=False)
    try:
        parsed = _read(product_import)
    except files.FileRefused as refused:
        product_import.message = str(refused.message)[:500]
        product_import.save()
        return product_import
    plan = _plan(shop, parsed)
    product_import.row_count = len(parsed.rows) + len({e.row for e in parsed.errors})
    product_import.errors = [
        {"row": e.row, "column": e.column, "message": str(e.message)} for e in parsed.errors
    ]
    product_import.to_create, product_import.to_update = len(plan.create), len(plan.update)
    product_import.unchanged = plan.unchanged
    if not parsed.errors:
        product_import.status = ProductImport.Status.PREVIEWED
    product_import.save()
    return product_import


def product_import_start(*, product_import: ProductImport) -> ProductImport:
    """Apply now, or hand a large file to a worker; the status says which."""
    inline = product_import.row_count <= INLINE_ROWS
    with transaction.atomic():
        claimed = ProductImport.objects.filter(
            pk=product_import.pk, status=ProductImport.Status.PREVIEWED
        ).update(status=ProductImport.Status.APPLYING)
        if claimed and not inline:
            # Handed to a worker with the status change: a broker outage delays it only.
            events.publish("shops.import_started", product_import=product_import)
    product_import.refresh_from_db()
    if not claimed:
        return product_import  # already started, applied or refused: nothing to do twice
    if inline:
        product_import_apply(import_id=product_import.pk)
        product_import.refresh_from_db()
    return product_import


def product_import_apply(*, import_id: int) -> ProductImport:
    """Apply every row in one transaction, under row locks on the products it touches.
    Idempotent: an import already applied is left alone, and the import's row is locked
    while it applies, so a second delivery (a worker's lease ran out) waits and then finds
    it applied; a file that no longer checks cleanly (the catalogue changed meanwhile)
    fails with nothing changed."""
    try:
        with transaction.atomic():
            product_import = ProductImport.objects.select_for_update().get(pk=import_id)
            if product_import.status != ProductImport.Status.APPLYING:
                return product_import
            _apply(product_import)
            _finish(product_import, ProductImport.Status.APPLIED, "")
    except files.FileRefused as refused:
        _finish(product_import, ProductImport.Status.FAILED, str(refused.message))
    return product_import


def _finish(product_import, status, message):
    ProductImport.objects.filter(pk=product_import.pk).update(
        status=status, message=message[:500], finished_at=timezone.now()
    )
    product_import.refresh_from_db()


def _apply(product_import: ProductImport) -> None:
    parsed = _read(product_import)
    if parsed.errors:
        raise files.FileRefused(_("The file no longer checks cleanly; upload it again."))

    def tick(done):
        cache.set(progress_key(product_import.pk), done, 3600)

    catalogue_upsert(shop=product_import.shop, parsed=parsed, tick=tick)


@dataclass
class UpsertResult:
    created: list
    updated: list
    unchanged: int


def catalogue_upsert(*, shop: Shop, parsed: files.ParsedFile, tick=None) -> UpsertResult:
    """Create or update `shop`'s products from checked rows, matched by SKU. Must run inside
    the caller's transaction: the products it changes are row-locked in primary-key order."""
    plan = _plan(shop, parsed, lock=True)
    labels = dict(Label.objects.values_list("slug", "pk"))
    taken = set(shop.products.values_list("slug", flat=True))
    done = 0

    def progress(count):
        nonlocal done
        done += count
        if tick is not None:
            tick(done)

    new_products = []
    for row in plan.create:
        slug = base = slugify(row.values["title"])[:200] or "product"
        n = 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        new_products.append(Product(shop=shop, sku=row.sku, slug=slug, **row.values))
    through = Product.labels.through
    created = []
    for start in range(0, len(new_products), PROGRESS_EVERY):
        chunk = Product.objects.bulk_create(new_products[start : start + PROGRESS_EVERY])
        rows = plan.create[start : start + PROGRESS_EVERY]
        through.objects.bulk_create(
            through(product_id=p.pk, label_id=labels[s])
            for p, row in zip(chunk, rows, strict=True)
            for s in row.labels or []
        )
        created.extend(chunk)
        progress(len(chunk))
    changed_fields = sorted({name for _p, row in plan.update for name in row.values})
    if "price" in changed_fields:
        changed_fields.append("price_currency")
    for start in range(0, len(plan.update), PROGRESS_EVERY):
        chunk = plan.update[start : start + PROGRESS_EVERY]
        now = timezone.now()
        for product, row in chunk:
            for name, value in row.values.items():
                setattr(product, name, value)
            product.updated_at = now
        if changed_fields:
            Product.objects.bulk_update([p for p, _r in chunk], [*changed_fields, "updated_at"])
        relabel = [(p, r) for p, r in chunk if r.labels is not None]
        if relabel:
            through.objects.filter(product_id__in=[p.pk for p, _r in relabel]).delete()
            through.objects.bulk_create(
                through(product_id=p.pk, label_id=labels[s]) for p, r in relabel for s in r.labels
            )
        progress(len(chunk))
    progress(plan.unchanged)
    catalogue_changed()
    return UpsertResult(
        created=created, updated=[p for p, _r in plan.update], unchanged=plan.unchanged
    )
