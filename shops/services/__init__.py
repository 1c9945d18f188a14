"""Writes to shops and the catalogue."""

from .catalogue import (
    BulkAction,
    product_bulk_update,
    product_create,
    product_duplicate,
    product_update,
)
from .importing import (
    catalogue_upsert,
    import_progress,
    product_import_apply,
    product_import_preview,
    product_import_start,
)
from .photos import (
    product_photo_add,
    product_photo_delete,
    product_photo_files_delete,
    product_photo_make_thumbnail,
    product_photo_move,
    unmet_search_record,
)
from .team import (
    TeamError,
    team_invitation_accept,
    team_invitation_send,
    team_invite,
    team_member_change,
)
from .tokens import api_token_authenticate, api_token_create, api_token_revoke

__all__ = [
    "BulkAction",
    "TeamError",
    "team_invitation_accept",
    "team_invitation_send",
    "team_invite",
    "team_member_change",
    "catalogue_upsert",
    "api_token_authenticate",
    "api_token_create",
    "api_token_revoke",
    "import_progress",
    "product_import_apply",
    "product_import_preview",
    "product_import_start",
    "product_bulk_update",
    "product_create",
    "product_duplicate",
    "product_photo_add",
    "product_photo_delete",
    "product_photo_make_thumbnail",
    "product_photo_move",
    "product_photo_files_delete",
    "product_update",
    "unmet_search_record",
]
