"""Shops' subscribers to domain events (listed in marketplace.subscriptions)."""

from . import services


def email_team_invitation(event) -> None:
    services.team_invitation_send(
        event=event, invitation_id=event["invitation_id"], link=event["link"]
    )


def make_photo_thumbnail(event) -> None:
    """Idempotent: a photo that has its thumbnail, or is gone, is left alone."""
    services.product_photo_make_thumbnail(photo_id=event["photo_id"])


def delete_photo_files(event) -> None:
    services.product_photo_files_delete(files=event["files"])


def apply_product_import(event) -> None:
    """A large import, applied by a worker; idempotent (see product_import_apply)."""
    services.product_import_apply(import_id=event["product_import_id"])
