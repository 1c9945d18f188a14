"""What the public catalogue pages keep in the cache, and when it is dropped.

Every key holds the catalogue's version, a token replaced whenever a product, a photo, a
shop, its hours or closures, a category or a label changes (signals in shops.signals, and
the services that write with UPDATE: stock, bulk changes, imports). A change therefore
drops every cached listing, count and fragment at once: simple, and cheap enough at a
town's rate of change. The version is replaced at once and again after commit, so a page
read by another request before the commit cannot be kept under the new version.

Without Redis each process has its own cache, so a change made in another process (a
worker applying an import) is seen when the entries expire: TIMEOUT bounds that.
"""

import hashlib
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalogue:version"
TIMEOUT = 300

T = TypeVar("T")


def catalogue_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex[:12]
        # add(): of two processes starting at once, both end up with the same version.
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY) or version
    return version


def _bump() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex[:12], None)


def catalogue_changed() -> None:
    """Drop what the catalogue pages cached: now, and again once the change is committed."""
    _bump()
    transaction.on_commit(_bump)


def cache_key(*parts) -> str:
    """A key under the current catalogue version; long parts (query strings) are hashed."""
    text = "\x1f".join(str(part) for part in parts)
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
    return f"catalogue:{catalogue_version()}:{digest}"


def cached(key: str, compute: Callable[[], T], timeout: int = TIMEOUT) -> T:
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value
