from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def make_product_photo_thumbnail_task(photo_id: int) -> None:
    services.product_photo_make_thumbnail(photo_id=photo_id)
