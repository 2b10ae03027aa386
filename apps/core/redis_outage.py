"""Surviving a Redis outage: the cache degrades to "nothing cached", a per-process breaker, and
one warning per outage.

Redis is the cache and the rate limiters' shared store, never the system of record. With
REDIS_URL set the default cache is `ResilientRedisCache`: a read that cannot reach Redis
answers "not cached" and a write is dropped, so callers compute from the database (widget
keys, plan limits, entitlements, release flags, allauth's counters) instead of raising a 500
into the request. The limits decide for themselves what an outage means (`on_error` and a
fallback, `apps.core.ratelimit_fallback`): the widget and API throttles fail open to an
in-process limit, the login limit fails closed to the database, the AI budget refuses the call.

The breaker (`REDIS`): a failure to connect or a timeout opens it for
REDIS_OUTAGE_RETRY_SECONDS; meanwhile this process's cache calls and limiter decisions skip
Redis at once (an unreachable host would otherwise cost a connect timeout per call, several
per request). Then one call tries again. A warning is logged when an outage starts and at
most once a minute while it lasts, and one when Redis answers again.
"""

from __future__ import annotations

import functools
import socket
import sys
import threading
import time

import structlog
from django.conf import settings
from django_redis.cache import RedisCache, omit_exception
from django_redis.client import DefaultClient
from django_redis.compressors.identity import IdentityCompressor
from django_redis.exceptions import ConnectionInterrupted
from django_redis.serializers.pickle import PickleSerializer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = structlog.get_logger("fastlead.outage")

WARN_EVERY_SECONDS = 60.0
_OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, socket.timeout, ConnectionError)


class RedisSkipped(ConnectionInterrupted):
    """Redis was not tried: the breaker is open after a recent failure."""

    def __init__(self):
        super().__init__(connection=None)

    def __str__(self) -> str:
        return "Redis skipped: it failed moments ago (outage breaker open)"


def is_outage(error: BaseException | None) -> bool:
    """Whether `error` (or what caused it) means Redis cannot be reached."""
    while error is not None:
        if isinstance(error, (RedisSkipped, *_OUTAGE_ERRORS)):
            return True
        error = error.__cause__
    return False


class Breaker:
    """Per-process memory of an outage of one service (see the module docstring)."""

    def __init__(self, name: str):
        self.name = name
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._down_since: float | None = None
        self._warned_at = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, error: BaseException) -> None:
        """A call failed: open the breaker if it was an outage (skips never re-open it)."""
        if isinstance(error, RedisSkipped) or not is_outage(error):
            return
        now = time.monotonic()
        retry = float(getattr(settings, "REDIS_OUTAGE_RETRY_SECONDS", 5))
        with self._lock:
            self._open_until = now + retry
            starting = self._down_since is None
            if starting:
                self._down_since = now
            warn = starting or now - self._warned_at >= WARN_EVERY_SECONDS
            if warn:
                self._warned_at = now
            down_for = now - self._down_since
        if warn:
            logger.warning(
                f"{self.name}_unavailable",
                error=_describe(error),
                down_for_s=round(down_for, 1),
                retry_in_s=retry,
            )

    def succeeded(self) -> None:
        """A call went through: the outage (if any) is over."""
        if self._down_since is None:
            return
        with self._lock:
            down_since, self._down_since, self._open_until = self._down_since, None, 0.0
        if down_since is not None:
            down_for = round(time.monotonic() - down_since, 1)
            logger.warning(f"{self.name}_recovered", down_for_s=down_for)

    def reset(self) -> None:
        with self._lock:
            self._open_until, self._down_since, self._warned_at = 0.0, None, 0.0


REDIS = Breaker("redis")


def _describe(error: BaseException) -> str:
    cause = error.__cause__ if isinstance(error, ConnectionInterrupted) else None
    return (cause or error).__class__.__name__


class _IgnoredErrorHook:
    """django-redis reports every error it ignored through `logger.exception` inside its
    `except` block: here that opens the breaker (an outage) or logs a warning (anything else,
    e.g. a command Redis refused), without a traceback per call."""

    def exception(self, *args, **kwargs) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, RedisSkipped):
            return
        if is_outage(error):
            REDIS.failed(error)
        else:
            logger.warning("redis_cache_error", error=_describe(error) if error else "unknown")


class ResilientClient(DefaultClient):
    """django-redis's client that does not even try while the breaker is open."""

    def get_client(self, write: bool = True, tried: list[int] | None = None):
        if REDIS.is_open():
            raise RedisSkipped()
        return super().get_client(write=write, tried=tried)

    def get_client_with_index(self, write: bool = True, tried: list[int] | None = None):
        if REDIS.is_open():
            raise RedisSkipped()
        return super().get_client_with_index(write=write, tried=tried)

    def decode(self, value):
        # django-redis tries int() on every value first; a pickle (protocol 2+ starts with
        # 0x80, never a digit) would raise and catch a ValueError per key. Only without a
        # compressor: a compressed value could start with any byte.
        if self._plain_pickles and isinstance(value, bytes) and value[:1] == b"\x80":
            return self._serializer.loads(value)
        return super().decode(value)

    @functools.cached_property
    def _plain_pickles(self) -> bool:
        return isinstance(self._compressor, IdentityCompressor) and isinstance(
            self._serializer, PickleSerializer
        )


class ResilientRedisCache(RedisCache):
    """The Redis cache that never raises a connection error into a request: while Redis is
    down it behaves as Django's DummyCache (reads answer "not cached", writes are dropped,
    `add` says it added: allauth's cache locks then proceed instead of refusing every login
    after a second), and the breaker is told."""

    def __init__(self, server: str, params: dict) -> None:
        options = {"CLIENT_CLASS": f"{__name__}.ResilientClient", **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})
        self._ignore_exceptions = True
        self._log_ignored_exceptions = True
        self.logger = _IgnoredErrorHook()

    def add(self, *args, **kwargs):
        added = super().add(*args, **kwargs)
        return True if added is None else added  # None: the error was ignored

    @omit_exception(return_value=None)
    def set_or_get(self, key, value, timeout: float):
        """SET … NX GET: None when this call set `key`, else the value it already had (see
        apps/core/cache_marks.py). While Redis is down: None, as `add` says it added."""
        client = self.client
        redis = client.get_client(write=True)
        try:
            old = redis.set(
                client.make_key(key),
                client.encode(value),
                nx=True,
                get=True,
                ex=max(1, int(timeout)),
            )
        except RedisError as error:  # as django-redis's own commands report it
            raise ConnectionInterrupted(connection=redis) from error
        return None if old is None else client.decode(old)

    def get_many(self, *args, **kwargs) -> dict:
        # While Redis is down django-redis answers every get_many with one shared {}: a
        # caller that filled it would fill every later answer in the process.
        return dict(super().get_many(*args, **kwargs))

    def clear(self) -> None:
        """Delete this cache's keys (its KEY_PREFIX) only. django-redis flushes the whole
        database, which may also hold Celery's queues (CELERY_BROKER_URL defaults to the same
        REDIS_URL) and other processes' caches."""
        self.delete_pattern("*")
