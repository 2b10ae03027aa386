"""Limits that survive their shared backend (Redis) being down: `DegradingLimiter`.

A `DegradingLimiter` decides on the shared backend as `Limiter` does; when that fails (Redis
unreachable, a timeout, the outage breaker open: `apps.core.redis_outage`) it logs a warning
and decides the same hit on its `fallback` backend instead, and only if that fails too does
its `on_error` apply. Which fallback a limit takes is its owner's choice:

- `LocalBackend()`: this process's memory. Fails *open* but not unlimited: the widget's and
  the API's throttles keep counting per process, each limit divided by `share` (the web
  processes of one machine, RATELIMIT_FALLBACK_SHARE) so that one machine together still
  lets about the configured rate through.
- a database backend (`apps.accounts.login_limits`): fails *closed*: login attempts are still
  counted, across every process, while Redis is down.

Grants made by the fallback are marked (`Grant.fallback`), so a `release` reaches the
backend that recorded them.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import structlog
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache

from apps.core.ratelimit import (
    Backend,
    Budget,
    CacheBackend,
    Decision,
    Grant,
    Limiter,
    OnError,
    Rate,
)
from apps.core.redis_outage import REDIS, WARN_EVERY_SECONDS

logger = structlog.get_logger("fastlead.ratelimit")

_LOCAL_MAX_KEYS = 20_000  # beyond this LocMemCache culls a third of the keys (bounded memory)


class LocalBackend(CacheBackend):
    """The limiter's sliding log and fixed-window counters in this process's memory (a
    thread lock instead of the file lock)."""

    _instances: weakref.WeakSet[LocalBackend] = weakref.WeakSet()

    def __init__(self, max_keys: int = _LOCAL_MAX_KEYS):
        name = f"ratelimit-local-{id(self)}"
        self.cache = LocMemCache(name, {"OPTIONS": {"MAX_ENTRIES": max_keys}})
        self._lock = threading.Lock()
        self._instances.add(self)

    @classmethod
    def clear_all(cls) -> None:
        """Forget every process-local count (tests start from nothing)."""
        for backend in list(cls._instances):
            backend.cache.clear()

    @contextmanager
    def _locked(self, key: str):
        with self._lock:
            yield


class DegradingLimiter(Limiter):
    """`Limiter` with a fallback backend for when the shared one fails (module docstring).

    `name` labels the warning; `share` divides every limit on the fallback (at least 1 hit
    per window stays allowed; None: RATELIMIT_FALLBACK_SHARE); `on_error` applies only when
    the fallback fails too."""

    def __init__(
        self,
        name: str,
        *,
        fallback: Backend,
        on_error: OnError = OnError.RAISE,
        share: int | None = 1,
        backend: Backend | None = None,
    ):
        super().__init__(backend, on_error=OnError.RAISE)
        self.name = name
        self.fallback = Limiter(fallback, on_error=on_error)
        self._share = share
        self._warned_at = 0.0

    def try_acquire(self, key: str, budget: Budget, *, tokens: int = 0) -> Decision:
        try:
            decision = super().try_acquire(key, budget, tokens=tokens)
        except Exception as exc:
            self._degraded(exc)
        else:
            REDIS.succeeded()
            return decision
        decision = self.fallback.try_acquire(key, self._shared(budget), tokens=tokens)
        if decision.grant is not None:
            decision = replace(decision, grant=replace(decision.grant, fallback=True))
        return decision

    def hit_fixed(
        self, hits: Sequence[tuple[str, Rate]], *, reads: Sequence[str] = ()
    ) -> tuple[list[Decision], Mapping[str, Any]]:
        """As `Limiter.hit_fixed`; on the fallback nothing of `reads` is found (entries of the
        shared cache, which the fallback does not hold)."""
        try:
            result = super().hit_fixed(hits, reads=reads)
        except Exception as exc:
            self._degraded(exc)
        else:
            REDIS.succeeded()
            return result
        decisions, _found = self.fallback.hit_fixed(
            [(key, self._shared_rate(rate)) for key, rate in hits]
        )
        return decisions, {}

    def release(self, grant: Grant | None) -> None:
        """Give a grant back where it was recorded; a lost release is logged, not raised (the
        hit then simply counts until its window ends)."""
        if grant is None:
            return
        limiter = self.fallback if grant.fallback else super()
        try:
            limiter.release(grant)
        except Exception as exc:
            self._degraded(exc)

    def clear(self, key: str) -> None:
        """Forget `key` on both backends (what the fallback counted during an outage too)."""
        for clear in (super().clear, self.fallback.clear):
            try:
                clear(key)
            except Exception as exc:
                self._degraded(exc)

    def _degraded(self, error: Exception) -> None:
        REDIS.failed(error)
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning(
                "ratelimit_degraded",
                limit=self.name,
                error=error.__class__.__name__,
                fallback=self.fallback.backend.__class__.__name__,
                on_error=self.fallback.on_error.value,
            )

    @property
    def share(self) -> int:
        share = self._share or getattr(settings, "RATELIMIT_FALLBACK_SHARE", 1)
        return max(int(share), 1)

    def _shared_rate(self, rate: Rate) -> Rate:
        share = self.share
        return rate if share == 1 else Rate(math.ceil(rate.limit / share), rate.seconds)

    def _shared(self, budget: Budget) -> Budget:
        share = self.share
        if share == 1:
            return budget
        return replace(
            budget,
            requests=math.ceil(budget.requests / share),
            tokens=math.ceil(budget.tokens / share),
            burst=math.ceil(budget.burst / share),
        )
