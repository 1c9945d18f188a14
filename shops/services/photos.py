"""Writes to shops and the catalogue."""

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction

from marketplace import events

from ..catalogue_cache import catalogue_changed
from ..models import Product, ProductPhoto, UnmetSearch
from ..photos import clean_photo, image_size, thumbnail_bytes

log = logging.getLogger(__name__)


def unmet_search_record(*, term: str, area: str = "") -> UnmetSearch | None:
    """Remember that someone looked for `term` and nobody sells it. Stores no identity.
    One cheap insert, written while the search page is made; it is a hint for the shops,
    so a failure is logged and the person searching still gets their page (None)."""
    try:
        with transaction.atomic():  # a savepoint: a failed insert spoils no outer transaction
            return UnmetSearch.objects.create(term=term.strip().lower()[:200], area=area[:20])
    except DatabaseError:
        log.warning("Could not record a search without result", exc_info=True)
        return None


@transaction.atomic
def product_photo_add(*, product: Product, upload, alt_text: str = "") -> ProductPhoto:
    """Store a checked, metadata-free copy of `upload` as the product's last photo; its
    thumbnail is made after commit (shops.photo_added, from the outbox). Raises
    shops.exceptions.InvalidPhoto."""
    content, width, height = clean_photo(upload)
    last = product.photos.order_by("-position").values_list("position", flat=True).first()
    photo = ProductPhoto(
        product=product,
        alt_text=alt_text or product.title,
        position=0 if last is None else last + 1,
        width=width,
        height=height,
    )
    photo.image.save(content.name, content, save=False)
    photo.save()
    events.publish("shops.photo_added", photo=photo)
    return photo


def product_photo_make_thumbnail(*, photo_id: int) -> ProductPhoto | None:
    """Idempotent: a photo that already has a thumbnail, or was deleted, is left alone."""
    photo = ProductPhoto.objects.filter(pk=photo_id).first()
    if photo is None or photo.thumbnail:
        return photo
    with photo.image.open("rb") as source:
        data = thumbnail_bytes(source)
    photo.thumbnail.save(f"thumb-{photo.pk}.webp", ContentFile(data), save=False)
    # Conditional update: a second worker racing on the same photo does not overwrite.
    ProductPhoto.objects.filter(pk=photo.pk, thumbnail="").update(thumbnail=photo.thumbnail.name)
    catalogue_changed()
    photo.refresh_from_db()
    return photo


@transaction.atomic
def product_photo_move(*, photo: ProductPhoto, to_front: bool = False, step: int = 0) -> None:
    """Reorder a product's photos: to the front (the main photo) or one place up/down."""
    photos = list(
        ProductPhoto.objects.select_for_update()
        .filter(product_id=photo.product_id)
        .order_by("position", "pk")
    )
    current = next(i for i, p in enumerate(photos) if p.pk == photo.pk)
    moving = photos.pop(current)
    target = 0 if to_front else max(0, min(len(photos), current + step))
    photos.insert(target, moving)
    for position, item in enumerate(photos):
        if item.position != position:
            ProductPhoto.objects.filter(pk=item.pk).update(position=position)
    catalogue_changed()


@transaction.atomic
def product_photo_delete(*, photo: ProductPhoto) -> None:
    """Delete the photo; its files go after commit (shops.photo_deleted), only once the row
    is gone for good. From the outbox rather than on commit: a storage that fails (a full
    disk, an object store that is down) is retried later and never turns the shop's
    committed deletion into an error page."""
    files = [name for name in (photo.image.name, photo.thumbnail.name) if name]
    photo.delete()
    events.publish("shops.photo_deleted", files=files)


def product_photo_files_delete(*, files: list[str]) -> int:
    """Delete stored photo files no photo points at any more (a shared picture of the demo
    catalogue stays while a product shows it). Safe to repeat: a missing file is skipped.
    How many were deleted."""
    deleted = 0
    for name in files:
        if ProductPhoto.objects.filter(image=name).exists():
            continue
        if ProductPhoto.objects.filter(thumbnail=name).exists():
            continue
        if default_storage.exists(name):
            default_storage.delete(name)
            deleted += 1
    return deleted


@dataclass(frozen=True)
class SharedPhoto:
    """A picture stored once for many products (a demo catalogue): the file names to put
    on each product's ProductPhoto, and its size."""

    image: str
    thumbnail: str
    width: int
    height: int


def shared_photo_files(image: bytes) -> tuple[bytes, bytes]:
    """A picture and the thumbnail the photo pipeline makes of it."""
    return image, thumbnail_bytes(io.BytesIO(image))


def shared_photo_store(*, name: str, make_files: Callable[[], tuple[bytes, bytes]]) -> SharedPhoto:
    """Store a picture and its thumbnail (see shared_photo_files) under fixed names derived
    from `name`, for many ProductPhoto rows to point at. Idempotent: when both files exist
    they are kept and `make_files` is not called, so nothing is drawn or written again."""
    image_name = f"products/shared/{name}.jpg"
    thumbnail_name = f"products/thumbs/shared-{name}.webp"
    if default_storage.exists(image_name) and default_storage.exists(thumbnail_name):
        with default_storage.open(image_name, "rb") as stored:
            width, height = image_size(stored)
        return SharedPhoto(image_name, thumbnail_name, width, height)
    image, thumbnail = make_files()
    width, height = image_size(io.BytesIO(image))
    for path, content in ((image_name, image), (thumbnail_name, thumbnail)):
        if default_storage.exists(path):
            default_storage.delete(path)
        default_storage.save(path, ContentFile(content))
    return SharedPhoto(image_name, thumbnail_name, width, height)
