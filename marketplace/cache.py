"""The cache, failing soft. When Redis cannot be reached, each cache operation is served from
this process's memory instead of raising: pages still render, people can still log in, and
the rate limits kept in the cache (allauth's login limit, the till API's per-token limit)
count per process until Redis answers again. Nothing that must not be lost lives in the
cache: sessions are written to the database too (cached_db), so a miss reads them there."""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
# Redis beside the app answers in about a millisecond; waiting longer for one that is away
# only makes the page slow. A refused connection fails at once; these bound a hung one.
SOCKET_TIMEOUTS = {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}
# After a failure Redis is left alone this long, so requests do not each pay the timeout.
RETRY_AFTER_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0
# Keys changed in memory during an outage, dropped from Redis when it returns. Bounded so a
# long outage cannot grow it without end; beyond it, old values expire by their timeout.
MAX_STALE_KEYS = 10_000
MEMORY_MAX_ENTRIES = 5_000

UNANSWERED = object()


class Breaker:
    """Whether this process tries Redis now. After a failure Redis is skipped for
    `retry_after` seconds; then one caller tries it again while the others keep to memory.
    One per process and Redis location, shared by every thread's cache object."""

    def __init__(self, *, retry_after: float):
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0
        self._warned_at: float | None = None
        self._stale: set[str] = set()

    def should_try(self) -> bool:
        if not self._down:
            return True
        now = time.monotonic()
        with self._lock:
            if now < self._retry_at:
                return False
            self._retry_at = now + self.retry_after  # this caller probes, the others wait
            return True

    def failed(self, error: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self._down = True
            self._retry_at = now + self.retry_after
            warn = self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS
            if warn:
                self._warned_at = now
        if warn:
            logger.warning(
                "Redis is unreachable (%s): the cache works from each process's memory, "
                "and Redis is tried again every %s s.",
                error,
                self.retry_after,
            )

    def answered(self) -> list[str] | None:
        """Mark Redis reachable. On the first answer after an outage, return the keys this
        process changed meanwhile (perhaps none); otherwise None."""
        if not self._down:
            return None
        with self._lock:
            if not self._down:
                return None
            self._down = False
            self._warned_at = None
            stale, self._stale = list(self._stale), set()
        return stale

    def remember_stale(self, keys) -> None:
        with self._lock:
            for key in keys:
                if len(self._stale) >= MAX_STALE_KEYS:
                    break
                self._stale.add(key)


_breakers: dict[tuple[str, float], Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str, retry_after: float) -> Breaker:
    with _breakers_lock:
        return _breakers.setdefault((location, retry_after), Breaker(retry_after=retry_after))


class FailSoftRedisCache(RedisCache):
    """Django's Redis cache with short socket timeouts, whose every operation falls back to
    a per-process LocMemCache while Redis is unreachable. When Redis answers again, the
    memory copy is dropped and the keys set or deleted meanwhile are deleted from Redis, so
    an invalidation made during the outage (a synonym saved) is not undone by the value
    Redis kept from before, and a lock taken in one place and released in the other (allauth
    locks its login counters) does not linger.

    OPTIONS: redis-py's connection options (`socket_timeout` …) and `retry_after`, the
    seconds Redis is skipped after a failure."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        retry_after = float(options.pop("retry_after", RETRY_AFTER_SECONDS))
        super().__init__(server, {**params, "OPTIONS": {**SOCKET_TIMEOUTS, **options}})
        location = ",".join(self._servers)
        self._breaker = breaker_for(location, retry_after)
        self._memory = LocMemCache(
            f"failsoft:{location}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                "OPTIONS": {"MAX_ENTRIES": MEMORY_MAX_ENTRIES},
            },
        )

    def _try_redis(self, name, *args, **kwargs):
        """RedisCache's answer, or UNANSWERED when Redis is away or skipped for now."""
        if not self._breaker.should_try():
            return UNANSWERED
        try:
            answer = getattr(RedisCache, name)(self, *args, **kwargs)
        except UNREACHABLE as error:
            self._breaker.failed(error)
            return UNANSWERED
        stale = self._breaker.answered()
        if stale is not None:
            self._back_from_outage(stale)
        return answer

    def _back_from_outage(self, stale: list[str]) -> None:
        self._memory.clear()
        try:
            if stale:
                self._cache.delete_many(stale)
        except UNREACHABLE as error:
            self._breaker.failed(error)
            self._breaker.remember_stale(stale)
            return
        logger.info("Redis answers again: the cache is shared by all processes again.")

    def _either(self, name, *args, version=None, changed=()):
        answer = self._try_redis(name, *args, version=version)
        if answer is not UNANSWERED:
            return answer
        if changed:
            self._breaker.remember_stale(
                self.make_and_validate_key(key, version=version) for key in changed
            )
        return getattr(self._memory, name)(*args, version=version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("add", key, value, timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._either("get", key, default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set", key, value, timeout, version=version, changed=[key])

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("touch", key, timeout, version=version)

    def delete(self, key, version=None):
        return self._either("delete", key, version=version, changed=[key])

    def get_many(self, keys, version=None):
        return self._either("get_many", keys, version=version)

    def has_key(self, key, version=None):
        return self._either("has_key", key, version=version)

    def incr(self, key, delta=1, version=None):
        answer = self._try_redis("incr", key, delta, version=version)
        if answer is not UNANSWERED:
            return answer
        try:
            return self._memory.incr(key, delta, version=version)
        except ValueError:
            # The counter was kept in Redis: count afresh in this process rather than fail
            # the request (a rate limit restarts from zero here).
            self._memory.add(key, 0, version=version)
            return self._memory.incr(key, delta, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set_many", data, timeout, version=version, changed=list(data))

    def delete_many(self, keys, version=None):
        keys = list(keys)
        return self._either("delete_many", keys, version=version, changed=keys)

    def clear(self):
        answer = self._try_redis("clear")
        self._memory.clear()
        return True if answer is UNANSWERED else answer
