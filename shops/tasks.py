from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def make_product_photo_thumbnail_task(photo_id: int) -> None:
    services.product_photo_make_thumbnail(photo_id=photo_id)


@shared_task
def make_missing_thumbnails_task() -> int:
    """Beat sweep: re-enqueue photos whose thumbnail task was lost (e.g. a broker outage
    between commit and enqueue). Safe to overlap with the per-photo task: both are idempotent."""
    photo_ids = services.product_photos_missing_thumbnail()
    for photo_id in photo_ids:
        make_product_photo_thumbnail_task.delay(photo_id)
    return len(photo_ids)


@shared_task(acks_late=True)
def apply_product_import_task(import_id: int) -> None:
    # Re-delivered after a crash, the import is either applied (left alone) or rolled back
    # and still "applying" (applied again from scratch in one transaction).
    services.product_import_apply(import_id=import_id)
