"""API tokens: made with a secret shown once, stored as a hash, revocable."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from ..models import ApiToken, Shop

PREFIX = "cp_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, shop: Shop, name: str, user) -> tuple[ApiToken, str]:
    """The stored token and the secret to show once; the secret is never stored."""
    public = secrets.token_hex(4)
    secret = f"{PREFIX}{public}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        shop=shop,
        name=name.strip()[:80],
        prefix=f"{PREFIX}{public}",
        token_hash=token_hash(secret),
        created_by=user,
    )
    return token, secret


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The active token for `secret`, marking when it was last used (at most once a minute,
    so busy tills do not write on every request)."""
    if not secret.startswith(PREFIX) or len(secret) > 120:
        return None
    token = (
        ApiToken.objects.select_related("shop")
        .filter(token_hash=token_hash(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
