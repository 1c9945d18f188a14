"""Catalogue reads on a Postgres streaming replica; everything else on the primary.

The rule is narrow on purpose, so it can be read in one go and nothing can read its own
write from a replica that has not caught up:
- only GET/HEAD requests to the public catalogue pages (`CATALOGUE_VIEWS`) read from the
  replica, and only the catalogue's tables (the `shops` app). Sessions, users, carts and
  orders on those same pages still come from the primary;
- once a request writes anything (a router asks where to write) or opens a transaction, the
  rest of it reads from the primary;
- a browser that just sent a form (POST and the like) reads from the primary for
  `REPLICA_PIN_SECONDS`, so a shop that saved a price sees it on its public page at once;
- Celery tasks, commands and every other page never touch the replica.

If the replica cannot be reached, the page is rendered again from the primary (it only read,
so that is safe) and catalogue pages read from the primary for `REPLICA_RETRY_SECONDS`
before the replica is tried again: a replica outage slows nothing down for long and never
becomes an error page while the primary answers.

`CATALOGUE_READ_DATABASE` names the alias ("replica" when DATABASE_REPLICA_URL is set,
otherwise "default", which turns all of this off). The selectors stay unaware of it.
"""

import contextvars
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# URL names of the public catalogue pages: home, search, shop list, shop and product pages.
CATALOGUE_VIEWS = frozenset(
    {
        "marketplace:home",
        "search",
        "shops:shop_list",
        "shops:shop_detail",
        "shops:product_detail",
    }
)
# Apps whose tables are the catalogue (shops, products, categories, photos, opening hours).
CATALOGUE_APPS = frozenset({"shops"})
PIN_COOKIE = "primary_pin"
REPLICA_RETRY_SECONDS = 30

log = logging.getLogger(__name__)
# Per process: until then the replica is left alone after it failed.
_replica_down_until = 0.0


@dataclass
class _Request:
    catalogue: bool = False  # a catalogue page, GET or HEAD, no recent write by this browser
    wrote: bool = False  # asked to write: read-your-writes for the rest of the request
    view: tuple[Callable, tuple, dict] | None = None  # to render again from the primary


_current: contextvars.ContextVar[_Request | None] = contextvars.ContextVar(
    "catalogue_request", default=None
)


def _replica_alias() -> str | None:
    alias = settings.CATALOGUE_READ_DATABASE
    if alias == DEFAULT_DB_ALIAS or time.monotonic() < _replica_down_until:
        return None
    return alias


class CatalogueReplicaRouter:
    def db_for_read(self, model, **hints):
        state = _current.get()
        alias = _replica_alias()
        if (
            alias
            and state is not None
            and state.catalogue
            and not state.wrote
            and model._meta.app_label in CATALOGUE_APPS
            # Inside a transaction the primary's own view counts (and may hold locks).
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return alias
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        state = _current.get()
        if state is not None:
            state.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the same database

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # a streaming replica follows the primary's schema


class CatalogueReplicaMiddleware:
    """Marks catalogue page requests for the router, and pins a browser that just wrote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(_Request())
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if _replica_alias() and request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        state = _current.get()
        if (
            state is not None
            and request.method in ("GET", "HEAD")
            and request.resolver_match.view_name in CATALOGUE_VIEWS
            and PIN_COOKIE not in request.COOKIES
        ):
            state.catalogue = True
            state.view = (view_func, view_args, view_kwargs)

    def process_exception(self, request, exception):
        """The replica failed a page that only read: render it again from the primary."""
        global _replica_down_until
        from .health import database_unavailable

        state = _current.get()
        alias = _replica_alias()
        if not (state and state.catalogue and state.view and alias and not state.wrote):
            return None
        if not database_unavailable(exception):
            return None
        _replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
        log.warning(
            "Replica %r unreachable (%s); catalogue reads go to the primary for %s s",
            alias,
            exception,
            REPLICA_RETRY_SECONDS,
        )
        connections[alias].close()
        state.catalogue = False
        view_func, view_args, view_kwargs = state.view
        return view_func(request, *view_args, **view_kwargs)
