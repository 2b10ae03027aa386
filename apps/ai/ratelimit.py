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

Backends:
- Redis (REDIS_URL set): one Lua script per decision, atomic on the server, with the Redis
  clock, so workers on different machines share one budget.
- Cache fallback (the embedded default): the same log kept in Django's cache under an
  exclusive file lock, which serializes threads and processes of one machine.

After a call, `Permit.settle(actual_tokens)` replaces the estimate with what the provider
reported, so a budget reserved for `max_tokens` is given back when the answer was shorter.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import random
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.cache import caches

from apps.ai.providers.base import ProviderError

DEFAULT_SPREAD = 10  # requests spread over tenths of the minute (see the module docstring)
DEFAULT_MAX_WAIT_SECONDS = 120.0  # well inside a Celery task's soft time limit (540 s)
_STATE_TTL = 3600  # seconds a fallback log outlives its last write

_ACQUIRE_LUA = """
local rpm, tpm = tonumber(ARGV[1]), tonumber(ARGV[2])
local window, tokens, member = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {paused, 0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local count = #entries / 2
local wait = 0
if rpm > 0 and count >= rpm then
  wait = tonumber(entries[(count - rpm) * 2 + 2]) + window - now
end
local burst, burst_ms = tonumber(ARGV[6]), tonumber(ARGV[7])
if burst > 0 and count >= burst then
  local recent = tonumber(entries[(count - burst) * 2 + 2])
  if recent > now - burst_ms then wait = math.max(wait, recent + burst_ms - now) end
end
if tpm > 0 then
  local used = 0
  for i = 1, #entries, 2 do used = used + tonumber(string.match(entries[i], ':(%d+)$')) end
  local excess = used + tokens - tpm
  if excess > 0 then
    local freed = 0
    for i = 1, #entries, 2 do
      freed = freed + tonumber(string.match(entries[i], ':(%d+)$'))
      if freed >= excess then
        wait = math.max(wait, tonumber(entries[i + 1]) + window - now)
        break
      end
    end
  end
end
if wait > 0 then return {wait, now} end
redis.call('ZADD', KEYS[1], now, member)
redis.call('PEXPIRE', KEYS[1], window + 1000)
return {0, now}
"""

_SETTLE_LUA = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[1], score, ARGV[2])
end
return 0
"""

_PAUSE_LUA = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0
"""


@dataclass(frozen=True)
class Budget:
    requests: int  # per window; 0 = no request limit
    tokens: int  # per window; 0 = no token limit
    window_ms: int  # including the safety margin
    burst: int = 0  # requests per slice of the window (0 = no smoothing)
    burst_ms: int = 0

    @property
    def unlimited(self) -> bool:
        return self.requests <= 0 and self.tokens <= 0


class Backend(Protocol):
    def try_acquire(self, key: str, member: str, tokens: int, budget: Budget) -> tuple[int, int]:
        """(0, grant time in ms) after recording a grant, or (ms to wait, _) to ask again."""

    def settle(self, key: str, member: str, new_member: str) -> None: ...

    def pause(self, key: str, ms: int) -> None: ...


def _member(grant_id: str, tokens: int) -> str:
    return f"{grant_id}:{int(tokens)}"


class RedisBackend:
    """Atomic decisions in Redis (Lua), with the Redis server's clock."""

    _clients: dict[str, object] = {}  # one connection pool per URL (redis-py is fork-aware)
    _lock = threading.Lock()

    def __init__(self, url: str):
        import redis

        with self._lock:
            client = self._clients.get(url)
            if client is None:
                client = self._clients[url] = redis.Redis.from_url(url)
        self.client = client
        self._acquire = client.register_script(_ACQUIRE_LUA)
        self._settle = client.register_script(_SETTLE_LUA)
        self._pause = client.register_script(_PAUSE_LUA)

    def try_acquire(self, key: str, member: str, tokens: int, budget: Budget) -> tuple[int, int]:
        args = [budget.requests, budget.tokens, budget.window_ms, int(tokens), member]
        args += [budget.burst, budget.burst_ms]
        wait, now = self._acquire(keys=[key, f"{key}:pause"], args=args)
        return int(wait), int(now)

    def settle(self, key: str, member: str, new_member: str) -> None:
        self._settle(keys=[key], args=[member, new_member])

    def pause(self, key: str, ms: int) -> None:
        self._pause(keys=[f"{key}:pause"], args=[int(ms)])


class CacheBackend:
    """The same sliding log in Django's cache, serialized by an exclusive file lock (works
    across the threads and processes of one machine: the embedded default)."""

    def __init__(self, cache_alias: str = "default", lock_dir: Path | None = None):
        self.cache = caches[cache_alias]
        self.lock_dir = Path(lock_dir or Path(settings.VAR_DIR) / "locks")

    @contextmanager
    def _locked(self, key: str):
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        with open(self.lock_dir / f"ai-ratelimit-{digest}.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _load(self, key: str, now_ms: int, window_ms: int) -> dict:
        state = self.cache.get(key) or {"entries": [], "pause_until": 0}
        state["entries"] = [e for e in state["entries"] if e[0] > now_ms - window_ms]
        return state

    def try_acquire(self, key: str, member: str, tokens: int, budget: Budget) -> tuple[int, int]:
        with self._locked(key):
            now = int(time.time() * 1000)
            state = self._load(key, now, budget.window_ms)
            if state["pause_until"] > now:
                return state["pause_until"] - now, now
            wait = _wait_ms(state["entries"], tokens, budget, now)
            if wait <= 0:
                state["entries"].append([now, member, int(tokens)])
            self.cache.set(key, state, timeout=_STATE_TTL)
            return max(wait, 0), now

    def settle(self, key: str, member: str, new_member: str) -> None:
        with self._locked(key):
            state = self.cache.get(key)
            if not state:
                return
            for entry in state["entries"]:
                if entry[1] == member:
                    entry[1], entry[2] = new_member, int(new_member.rsplit(":", 1)[1])
            self.cache.set(key, state, timeout=_STATE_TTL)

    def pause(self, key: str, ms: int) -> None:
        with self._locked(key):
            state = self.cache.get(key) or {"entries": [], "pause_until": 0}
            state["pause_until"] = max(state["pause_until"], int(time.time() * 1000) + int(ms))
            self.cache.set(key, state, timeout=_STATE_TTL)


def _wait_ms(entries: list, tokens: int, budget: Budget, now: int) -> int:
    """The Lua script's decision in Python: 0 if a grant fits, else ms until it would."""
    wait = 0
    if budget.requests > 0 and len(entries) >= budget.requests:
        wait = entries[len(entries) - budget.requests][0] + budget.window_ms - now
        wait = max(wait, 1)
    if budget.burst > 0 and len(entries) >= budget.burst:
        recent = entries[len(entries) - budget.burst][0]
        if recent > now - budget.burst_ms:
            wait = max(wait, recent + budget.burst_ms - now)
    if budget.tokens > 0:
        excess = sum(e[2] for e in entries) + tokens - budget.tokens
        freed = 0
        for stamp, _member_id, spent in entries if excess > 0 else ():
            freed += spent
            if freed >= excess:
                wait = max(wait, stamp + budget.window_ms - now, 1)
                break
    return wait


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
        old, new = _member(self.grant_id, self.tokens), _member(self.grant_id, actual_tokens)
        self.limiter.backend.settle(self.key, old, new)
        self.tokens = int(actual_tokens)


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
        if self.budget.unlimited or self.backend is None:
            return Permit(limiter=None, tokens=int(tokens_estimate))
        tokens = max(int(tokens_estimate), 0)
        if self.budget.tokens and tokens > self.budget.tokens:
            raise ProviderError(
                f"One call of ~{tokens} tokens exceeds the budget of {self.budget.tokens} "
                f"tokens per window.",
                permanent=True,
                code="over_token_budget",
            )
        key, grant_id = self.key(provider), uuid.uuid4().hex
        started = time.monotonic()
        while True:
            member = _member(grant_id, tokens)
            wait_ms, now_ms = self.backend.try_acquire(key, member, tokens, self.budget)
            waited = time.monotonic() - started
            if wait_ms <= 0:
                return Permit(
                    self, key, grant_id, tokens, int(waited * 1000), granted_at=now_ms / 1000
                )
            if waited + wait_ms / 1000 > self.max_wait_seconds:
                raise ProviderError(
                    f"No slot in the {provider} rate limit within {self.max_wait_seconds:.0f} s.",
                    permanent=False,
                    code="rate_limit_wait",
                )
            # A little jitter spreads the waiters that were told the same moment.
            self.sleep(wait_ms / 1000 + self._rng.uniform(0, 0.005))

    def pause(self, provider: str, seconds: float) -> None:
        """The provider said "retry after": hold every worker back for that long."""
        if self.backend is not None and not self.budget.unlimited and seconds > 0:
            self.backend.pause(self.key(provider), int(seconds * 1000))


def default_backend() -> Backend:
    """Redis when REDIS_URL is set (shared by every worker), else the cache fallback."""
    if settings.REDIS_URL:
        return RedisBackend(settings.REDIS_URL)
    return CacheBackend()


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
        backend=None if unlimited else (backend or default_backend()),
        namespace=settings.CACHES["default"].get("KEY_PREFIX", "") or "",
    )


def acquire(provider: str, tokens_estimate: int = 0) -> Permit:
    """Block until one more call to `provider` fits the configured shared budget."""
    return get_rate_limiter().acquire(provider, tokens_estimate)
