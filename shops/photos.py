"""Pictures from strangers: checked with Pillow, re-encoded without metadata (camera
serial numbers, GPS positions), and scaled to thumbnails."""

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .exceptions import InvalidPhoto

ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "png"}
MAX_PIXELS = 40_000_000
THUMBNAIL_SIZE = (480, 480)


def clean_photo(upload) -> tuple[ContentFile, int, int]:
    """The upload as a metadata-free image file, with its width and height.
    Raises InvalidPhoto for anything too large, not a picture, or broken."""
    if upload.size > settings.PRODUCT_PHOTO_MAX_BYTES:
        limit_mb = settings.PRODUCT_PHOTO_MAX_BYTES // (1024 * 1024)
        raise InvalidPhoto(_("The picture is larger than %(mb)s MB.") % {"mb": limit_mb})
    try:
        upload.seek(0)
        probe = Image.open(upload)
        fmt = probe.format
        if fmt not in ACCEPTED_FORMATS:
            raise InvalidPhoto(_("Please upload a JPEG, PNG, WebP or GIF picture."))
        if probe.width * probe.height > MAX_PIXELS:
            raise InvalidPhoto(_("The picture has too many pixels; please make it smaller."))
        probe.verify()
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except InvalidPhoto:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise InvalidPhoto() from None
    # Keep the orientation the camera recorded, then drop every tag.
    image = ImageOps.exif_transpose(image)
    extension = ACCEPTED_FORMATS[fmt]
    if extension == "jpg" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if extension == "png" and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if image.mode == "P":
        clean.putpalette(image.getpalette())
    buffer = io.BytesIO()
    save_format = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}[extension]
    options = {"quality": 88} if save_format in ("JPEG", "WEBP") else {"optimize": True}
    clean.save(buffer, format=save_format, **options)
    return ContentFile(buffer.getvalue(), name=f"photo.{extension}"), clean.width, clean.height


def thumbnail_bytes(source) -> bytes:
    with Image.open(source) as image:
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_SIZE)
        buffer = io.BytesIO()
        image.save(buffer, format="WEBP", quality=80)
        return buffer.getvalue()


def image_size(source) -> tuple[int, int]:
    """Width and height from the file's header, without decoding the picture."""
    with Image.open(source) as image:
        return image.width, image.height
