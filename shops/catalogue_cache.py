"""What the public catalogue pages keep in the cache, and when it is dropped.

Every key holds the catalogue's version, a token replaced whenever a product, a photo, a
shop, its hours or closures, a category or a label changes (signals in shops.signals, and
the services that write with UPDATE: stock, bulk changes, imports). A change therefore
drops every cached listing, count and fragment at once: simple, and cheap enough at a
town's rate of change. The version is replaced at once and again after commit, so a page
read by another request before the commit cannot be kept under the new version.

Sales change stock all day long, and stock changes nothing but what a page says of it: they
replace the version only. What does not show stock (how many products a listing has, the
categories' ids, the filter form's choices) is kept under the *assortment* version, which
every other change replaces too, so a sale does not make the next visitor count 45,000
products again.

Without Redis the cache is a folder every process shares (settings.CACHES), so a change
made by the worker (applying an import) is seen by the web process at once. Only while Redis
is unreachable does each process keep its own: TIMEOUT bounds how stale that can get.
"""

import hashlib
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

VERSION_KEY = "catalogue:version"
ASSORTMENT_KEY = "catalogue:assortment"
TIMEOUT = 300

T = TypeVar("T")


def catalogue_version(key: str = VERSION_KEY) -> str:
    version = cache.get(key)
    if version is None:
        version = uuid.uuid4().hex[:12]
        # add(): of two processes starting at once, both end up with the same version.
        if not cache.add(key, version, None):
            version = cache.get(key) or version
    return version


def _bump(keys: tuple[str, ...]) -> None:
    cache.set_many({key: uuid.uuid4().hex[:12] for key in keys}, None)


def catalogue_changed(*, stock_only: bool = False) -> None:
    """Drop what the catalogue pages cached: now, and again once the change is committed.
    `stock_only` (a sale, a till's count): keep what does not show stock."""
    keys = (VERSION_KEY,) if stock_only else (VERSION_KEY, ASSORTMENT_KEY)
    _bump(keys)
    transaction.on_commit(lambda: _bump(keys))


def cache_key(*parts, assortment: bool = False) -> str:
    """A key under the current catalogue version, or with `assortment` under the version
    that stock changes leave alone; long parts (query strings) are hashed."""
    text = "\x1f".join(str(part) for part in parts)
    digest = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()
    if assortment:
        return f"catalogue:a:{catalogue_version(ASSORTMENT_KEY)}:{digest}"
    return f"catalogue:{catalogue_version()}:{digest}"


def cached(key: str, compute: Callable[[], T], timeout: int = TIMEOUT) -> T:
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout)
    return value


# Whole pages for visitors -----------------------------------------------------------------

# Stands for the visitor's CSRF token in a page kept for every visitor; each response gets
# its own token in its place.
CSRF_PLACEHOLDER = "csrf-token-placeholder-b9f4e1c7"


def _same_for_every_visitor(request) -> bool:
    """A visitor who is not signed in and has no session (so no cart and no messages to
    show) sees what every such visitor sees: the page can be kept for all of them."""
    if request.method not in ("GET", "HEAD"):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or request.user.is_authenticated:
        return False
    return not len(messages.get_messages(request))


def render_catalogue_page(
    request,
    template_name: str,
    context: Callable[[], dict],
    *,
    vary_on=(),
    shareable: bool = True,
) -> HttpResponse:
    """Render a public catalogue page. For a visitor without a session (see
    _same_for_every_visitor) the page is rendered once per path, language and `vary_on`
    (what else it shows that changes with time, e.g. whether a shop is open) and kept
    until the catalogue changes; each response then only gets the visitor's CSRF token.
    Such pages carry an ETag, so a browser asking again gets 304 Not Modified. Every page
    is `Cache-Control: private`: it holds a CSRF token, and for a signed-in person their
    cart and name, so no shared cache may keep it.

    `context` is called only when the page is rendered: a kept page reads nothing else.
    `shareable=False` when the query string holds parameters the page does not read, so
    a page is never kept under an address it does not show."""
    if not (shareable and _same_for_every_visitor(request)):
        response = render(request, template_name, context())
    else:
        key = cache_key(
            "page",
            template_name,
            get_language(),
            request.get_full_path(),
            bool(request.htmx),
            *vary_on,
        )
        html = cache.get(key)
        if html is None:
            html = render_to_string(
                template_name, {**context(), "csrf_token": CSRF_PLACEHOLDER}, request
            )
            cache.set(key, html, TIMEOUT)
        token = get_token(request)
        # The token belongs to the page the browser keeps: a new secret is a new page.
        secret = request.META.get("CSRF_COOKIE", "")
        etag = hashlib.sha1(f"{key}:{secret}".encode(), usedforsecurity=False).hexdigest()
        not_modified = get_conditional_response(request, etag=f'"{etag}"')
        if not_modified is not None:
            response = not_modified
            response.headers["ETag"] = f'"{etag}"'
        else:
            response = HttpResponse(html.replace(CSRF_PLACEHOLDER, token))
            response.headers["ETag"] = f'"{etag}"'
    patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie", "HX-Request"])
    return response
