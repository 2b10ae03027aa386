"""A rate limiter shared by every worker: requests AND tokens per minute, per provider.

Algorithm: a sliding-window log. Each grant is stored with its time and its token estimate;
a new call is granted only if, counting it, the last `window` seconds hold at most
`requests_per_window` grants and `tokens_per_window` tokens. Otherwise the caller learns
exactly when the oldest blocking grant leaves the window and sleeps until then. Unlike fixed
per-minute counters this never lets two bursts meet at a minute boundary, so the provider
never sees more than the budget in any window; a small margin (1 % of the window) absorbs the
time between our grant and the request's arrival at the provider.

Smoothing (`spread`): providers may enforce a per-minute limit over shorter intervals
(Anthropic: "60 RPM may be enforced as 1 request per second"), so a burst of the whole minute's
budget at once can be refused although the minute is within budget. With `spread=10` each
tenth of the window also allows only its share (ceil(requests / 10)); the full window still
bounds the total, and a steady stream of workers still uses the whole budget.

The log, its backends (Redis with Lua when REDIS_URL is set; Django's cache under a file lock
on the embedded default) and the decision live in `apps.core.ratelimit`, the one limiter of
the product; this module adds the blocking wait, the token budget and the provider's pause.

After a call, `Permit.settle(actual_tokens)` replaces the estimate with what the provider
reported, so a budget reserved for `max_tokens` is given back when the answer was shorter.

The budget fails closed: when it cannot be checked (Redis down) no provider call is made and
`acquire` raises a transient ProviderError `budget_unavailable` at once, which the caller
treats like `rate_limit_wait` (come back later; nothing charged, nothing failed). Settling and
pausing after a call are bookkeeping: if they fail the call's answer is kept (the estimate
then stays counted, which errs on the safe side).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

import structlog
from django.conf import settings

from apps.ai.providers.base import ProviderError
from apps.core.ratelimit import Backend, Budget, CacheBackend, Grant, Limiter, default_backend
from apps.core.redis_outage import REDIS

__all__ = ["Backend", "CacheBackend", "Permit", "RateLimiter", "acquire", "default_backend"]
__all__ += ["get_rate_limiter"]

DEFAULT_SPREAD = 10  # requests spread over tenths of the minute (see the module docstring)
DEFAULT_MAX_WAIT_SECONDS = 120.0  # well inside a Celery task's soft time limit (540 s)

logger = structlog.get_logger("fastlead.ai")


@dataclass
class Permit:
    """One granted call. `settle` records the tokens the provider really counted."""

    limiter: RateLimiter | None
    key: str = ""
    grant_id: str = ""
    tokens: int = 0
    waited_ms: int = 0
    granted_at: float = 0.0  # seconds since the epoch, by the backend's clock (Redis: TIME)
    _settled: bool = field(default=False, repr=False)

    def settle(self, actual_tokens: int) -> None:
        if self.limiter is None or self._settled or int(actual_tokens) == self.tokens:
            return
        self._settled = True
        grant = Grant(self.key, self.grant_id, self.tokens)
        try:
            self.tokens = self.limiter.limiter.settle(grant, actual_tokens).tokens
        except Exception as exc:  # the answer is paid for: keep it, the estimate stays counted
            _bookkeeping_failed("settle", exc)


class RateLimiter:
    """`acquire(provider, tokens_estimate)` blocks until the call fits the shared budget."""

    def __init__(
        self,
        *,
        requests_per_window: int,
        tokens_per_window: int = 0,
        window_seconds: float = 60.0,
        margin_seconds: float | None = None,
        spread: int = 1,
        backend: Backend | None = None,
        namespace: str = "",
        max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
        sleep=time.sleep,
    ):
        margin = window_seconds / 100 if margin_seconds is None else margin_seconds
        requests, window_ms = (
            max(int(requests_per_window), 0),
            round((window_seconds + margin) * 1000),
        )
        spread = max(int(spread), 1) if requests else 1
        self.budget = Budget(
            requests=requests,
            tokens=max(int(tokens_per_window), 0),
            window_ms=window_ms,
            burst=math.ceil(requests / spread) if spread > 1 else 0,
            burst_ms=window_ms // spread if spread > 1 else 0,
        )
        self.backend = backend
        self.limiter = Limiter(backend) if backend is not None else None
        self.namespace = namespace
        self.max_wait_seconds = max_wait_seconds
        self.sleep = sleep
        self._rng = random.Random()

    def key(self, provider: str) -> str:
        prefix = f"{self.namespace}:" if self.namespace else ""
        return f"{prefix}ai:ratelimit:{provider}"

    def acquire(self, provider: str, tokens_estimate: int = 0) -> Permit:
        """Wait (sleeping) until one more call of `tokens_estimate` tokens fits the budget.

        Raises a permanent ProviderError if the call alone is larger than the token budget,
        and a transient one if no slot came within `max_wait_seconds`.
        """
        if self.budget.unlimited or self.limiter is None:
            return Permit(limiter=None, tokens=int(tokens_estimate))
        tokens = max(int(tokens_estimate), 0)
        if self.budget.tokens and tokens > self.budget.tokens:
            raise ProviderError(
                f"One call of ~{tokens} tokens exceeds the budget of {self.budget.tokens} "
                f"tokens per window.",
                permanent=True,
                code="over_token_budget",
            )
        key = self.key(provider)
        started = time.monotonic()
        while True:
            decision = self._try_acquire(key, provider, tokens)
            waited = time.monotonic() - started
            if decision.allowed:
                grant = decision.grant
                return Permit(self, key, grant.grant_id, tokens, int(waited * 1000), decision.at)
            if waited + decision.retry_after > self.max_wait_seconds:
                raise ProviderError(
                    f"No slot in the {provider} rate limit within {self.max_wait_seconds:.0f} s.",
                    permanent=False,
                    code="rate_limit_wait",
                )
            # A little jitter spreads the waiters that were told the same moment.
            self.sleep(decision.retry_after + self._rng.uniform(0, 0.005))

    def _try_acquire(self, key: str, provider: str, tokens: int):
        """The budget's decision; if it cannot be had, no call (fail closed)."""
        try:
            return self.limiter.try_acquire(key, self.budget, tokens=tokens)
        except Exception as exc:
            REDIS.failed(exc)
            logger.warning("ai_budget_unavailable", provider=provider, error=type(exc).__name__)
            raise ProviderError(
                f"The {provider} budget could not be checked ({type(exc).__name__}); "
                "no call was made.",
                permanent=False,
                retry_after=float(getattr(settings, "REDIS_OUTAGE_RETRY_SECONDS", 5)),
                code="budget_unavailable",
            ) from exc

    def pause(self, provider: str, seconds: float) -> None:
        """The provider said "retry after": hold every worker back for that long."""
        if self.limiter is not None and not self.budget.unlimited and seconds > 0:
            try:
                self.limiter.pause(self.key(provider), seconds)
            except Exception as exc:  # the retry policy still waits in this worker
                _bookkeeping_failed("pause", exc)


def _bookkeeping_failed(step: str, error: Exception) -> None:
    REDIS.failed(error)
    logger.warning("ai_budget_bookkeeping_failed", step=step, error=type(error).__name__)


class _DefaultBackend:
    """`default_backend()` resolved at each use: Redis unreachable when a client is built is
    then met by the budget check (which fails closed), not by whoever built the client."""

    def __getattr__(self, name):
        return getattr(default_backend(), name)


def get_rate_limiter(backend: Backend | None = None) -> RateLimiter:
    """The limiter configured by AI_REQUESTS_PER_MINUTE / AI_TOKENS_PER_MINUTE (0 = off);
    each provider has its own budget of that size."""
    requests = settings.AI_REQUESTS_PER_MINUTE
    tokens = settings.AI_TOKENS_PER_MINUTE
    unlimited = requests <= 0 and tokens <= 0
    return RateLimiter(
        requests_per_window=requests,
        tokens_per_window=tokens,
        window_seconds=60.0,
        spread=DEFAULT_SPREAD,
        backend=None if unlimited else (backend or _DefaultBackend()),
    )


def acquire(provider: str, tokens_estimate: int = 0) -> Permit:
    """Block until one more call to `provider` fits the configured shared budget."""
    return get_rate_limiter().acquire(provider, tokens_estimate)
