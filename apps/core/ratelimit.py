"""The one rate limiter: every limit in the product counts here (the widget's per-IP and
per-key limits, the API throttles, the login-failure limits, the AI providers' budgets).

Two algorithms over one backend:

- Sliding-window log (`Limiter.hit`, `Limiter.try_acquire`): each grant is stored with its
  time (and, for token budgets, its cost); a hit is granted only if, counting it, the last
  window holds at most the limit. Denied hits are not recorded. The answer says exactly when
  the oldest blocking grant leaves the window. A grant can be given back (`release`: a login
  that succeeded) or re-costed (`settle`: the tokens a provider really counted), and a key can
  be paused (`pause`: a provider's "retry after"). `Budget` adds a token limit and smoothing
  (`burst` grants per `burst_ms` slice of the window) for the AI budgets.
- Fixed-window counters (`Limiter.hit_fixed`): one INCR per key and window slot, every hit
  counted; several counters and one cache read in one round trip, for the hottest public
  path (the widget).

Backends (`default_backend()` follows the default cache):
- Redis (django-redis, i.e. REDIS_URL set): one Lua script per decision, atomic on the
  server, with the Redis clock, so processes on every machine share one budget.
- Django's cache (the embedded default): the same log under an exclusive file lock, which
  serializes the threads and processes of one machine; counters by cache add/incr.

What happens when the backend fails is chosen per use (`on_error`): raise (the default),
allow (fail open) or deny (fail closed); `apps.core.ratelimit_fallback.DegradingLimiter`
first decides on a fallback backend (this process's memory, the database) and logs it.
"""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import caches

_STATE_TTL = 3600  # seconds a cache-backend log outlives its last write
_COUNTER_SLACK = 5  # seconds a fixed-window counter outlives its window

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

# An optional cache read (ARGV[1] == '1': KEYS[1]) and one counter per further key, in one
# round trip; ARGV[i] is the lifetime of counter KEYS[i].
# KEYS: the keys to read (ARGV[1] of them), then the counters; ARGV[2..]: their lifetimes.
_FIXED_LUA = """
local reads = tonumber(ARGV[1])
local out = {}
for i = 1, reads do out[i] = redis.call('GET', KEYS[i]) end
for i = reads + 1, #KEYS do
  local n = redis.call('INCR', KEYS[i])
  if n == 1 then redis.call('EXPIRE', KEYS[i], ARGV[i - reads + 1]) end
  out[i] = n
end
return out
"""

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600}
_UNITS |= {"hour": 3600, "d": 86400, "day": 86400}


@dataclass(frozen=True)
class Rate:
    """`limit` hits per `seconds`."""

    limit: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "100/minute", "20/m", "30/900s", "5/15min" (DRF's and allauth's spellings)."""
        count, _, period = text.strip().partition("/")
        match = re.fullmatch(r"(\d*\.?\d*)\s*([a-z]+)", period.strip().lower())
        unit = match and (_UNITS.get(match.group(2)) or _UNITS.get(match.group(2)[:1]))
        if not unit:
            raise ValueError(f"Not a rate: {text!r}")
        return cls(int(count), float(match.group(1) or 1) * unit)

    def budget(self) -> Budget:
        return Budget(requests=self.limit, tokens=0, window_ms=round(self.seconds * 1000))


@dataclass(frozen=True)
class Budget:
    """A sliding-window budget: requests and/or tokens per window (0 = no such limit)."""

    requests: int
    tokens: int
    window_ms: int
    burst: int = 0  # requests per slice of the window (0 = no smoothing)
    burst_ms: int = 0

    @property
    def unlimited(self) -> bool:
        return self.requests <= 0 and self.tokens <= 0


@dataclass(frozen=True)
class Grant:
    """One recorded hit of a sliding log: what `release` and `settle` take."""

    key: str
    grant_id: str
    tokens: int = 0
    fallback: bool = False  # recorded by a limiter's fallback backend (`ratelimit_fallback`)

    @property
    def member(self) -> str:
        return member_name(self.grant_id, self.tokens)


@dataclass(frozen=True)
class Decision:
    """`allowed`, else `retry_after` seconds until a hit may be; `count` (fixed windows) is
    the hits of this window including this one; `grant` (sliding log) the recorded hit;
    `at` the backend's clock at the decision (seconds since the epoch, 0 if unknown)."""

    allowed: bool
    retry_after: float = 0.0
    count: int = 0
    grant: Grant | None = None
    at: float = 0.0


class OnError(StrEnum):
    """What a limit does when its backend fails (cache or Redis down)."""

    RAISE = "raise"
    ALLOW = "allow"  # fail open
    DENY = "deny"  # fail closed


class Backend(Protocol):
    def try_acquire(self, key: str, member: str, tokens: int, budget: Budget) -> tuple[int, int]:
        """(0, grant time in ms) after recording a grant, or (ms to wait, _) to ask again."""

    def settle(self, key: str, member: str, new_member: str) -> None: ...

    def release(self, key: str, member: str) -> None: ...

    def pause(self, key: str, ms: int) -> None: ...

    def clear(self, key: str) -> None: ...

    def count_fixed(
        self, counters: Sequence[tuple[str, int]], reads: Sequence[str]
    ) -> tuple[Mapping[str, Any], list[int]]:
        """Increment each (key, lifetime in s) counter; with the cached values of `reads`
        (those present, as `get_many` answers)."""


def member_name(grant_id: str, tokens: int) -> str:
    return f"{grant_id}:{int(tokens)}"


class DecodedOnRead(Mapping):
    """Cache values as Redis returned them, each decoded (unpickled) when first read: a caller
    that reads ahead everything a request may need uses only some of it (a widget submission
    reads about twenty keys and, queued, looks at half)."""

    __slots__ = ("_decode", "_raw", "_values")

    def __init__(self, raw: dict[str, bytes], decode: Callable[[bytes], Any]):
        self._raw, self._decode, self._values = raw, decode, {}

    def __getitem__(self, key: str) -> Any:
        if key not in self._values:
            self._values[key] = self._decode(self._raw[key])
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class RedisBackend:
    """Atomic decisions in Redis (Lua), with the Redis server's clock. Keys go through the
    Django cache's `make_key` (its prefix and version), so cache reads share the names."""

    _scripts: dict[int, tuple] = {}
    _lock = threading.Lock()

    def __init__(self, django_cache):
        self.cache = django_cache
        self.client = django_cache.client.get_client(write=True)
        with self._lock:
            scripts = self._scripts.get(id(self.client))
            if scripts is None:
                scripts = self._scripts[id(self.client)] = tuple(
                    self.client.register_script(lua)
                    for lua in (_ACQUIRE_LUA, _SETTLE_LUA, _PAUSE_LUA, _FIXED_LUA)
                )
        self._acquire, self._settle, self._pause, self._fixed = scripts

    def _key(self, key: str) -> str:
        return self.cache.make_key(key)

    def try_acquire(self, key: str, member: str, tokens: int, budget: Budget) -> tuple[int, int]:
        args = [budget.requests, budget.tokens, budget.window_ms, int(tokens), member]
        args += [budget.burst, budget.burst_ms]
        keys = [self._key(key), self._key(f"{key}:pause")]
        wait, now = self._acquire(keys=keys, args=args)
        return int(wait), int(now)

    def settle(self, key: str, member: str, new_member: str) -> None:
        self._settle(keys=[self._key(key)], args=[member, new_member])

    def release(self, key: str, member: str) -> None:
        self.client.zrem(self._key(key), member)

    def pause(self, key: str, ms: int) -> None:
        self._pause(keys=[self._key(f"{key}:pause")], args=[int(ms)])

    def clear(self, key: str) -> None:
        self.client.delete(self._key(key), self._key(f"{key}:pause"))

    def count_fixed(self, counters, reads):
        keys = [self._key(name) for name in reads] + [self._key(name) for name, _ in counters]
        args = [len(reads)] + [int(ttl) for _, ttl in counters]
        out = self._fixed(keys=keys, args=args)
        raw = {name: value for name, value in zip(reads, out, strict=False) if value is not None}
        return DecodedOnRead(raw, self.cache.client.decode), [int(n) for n in out[len(reads) :]]


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
        with open(self.lock_dir / f"ratelimit-{digest}.lock", "a+") as handle:
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
            wait = wait_ms(state["entries"], tokens, budget, now)
            if wait <= 0:
                state["entries"].append([now, member, int(tokens)])
            self.cache.set(key, state, timeout=max(_STATE_TTL, budget.window_ms // 1000 + 1))
            return max(wait, 0), now

    def _update(self, key: str, change) -> None:
        with self._locked(key):
            state = self.cache.get(key)
            if state:
                change(state)
                self.cache.set(key, state, timeout=_STATE_TTL)

    def settle(self, key: str, member: str, new_member: str) -> None:
        def change(state):
            for entry in state["entries"]:
                if entry[1] == member:
                    entry[1], entry[2] = new_member, int(new_member.rsplit(":", 1)[1])

        self._update(key, change)

    def release(self, key: str, member: str) -> None:
        def change(state):
            state["entries"] = [e for e in state["entries"] if e[1] != member]

        self._update(key, change)

    def pause(self, key: str, ms: int) -> None:
        with self._locked(key):
            state = self.cache.get(key) or {"entries": [], "pause_until": 0}
            state["pause_until"] = max(state["pause_until"], int(time.time() * 1000) + int(ms))
            self.cache.set(key, state, timeout=_STATE_TTL)

    def clear(self, key: str) -> None:
        with self._locked(key):
            self.cache.delete(key)

    def count_fixed(self, counters, reads):
        found = self.cache.get_many(reads) if reads else {}
        counts = []
        for name, ttl in counters:
            self.cache.add(name, 0, ttl)
            try:
                counts.append(self.cache.incr(name))
            except ValueError:  # expired between add and incr
                self.cache.set(name, 1, ttl)
                counts.append(1)
        return found, counts


def wait_ms(entries: list, tokens: int, budget: Budget, now: int) -> int:
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


def default_backend(cache_alias: str = "default") -> Backend:
    """Redis when the cache is Redis (REDIS_URL set: shared by every process and machine),
    else the cache with file locks (the embedded default)."""
    django_cache = caches[cache_alias]
    client = getattr(django_cache, "client", None)
    if client is not None and hasattr(client, "get_client"):  # django-redis
        return RedisBackend(django_cache)
    return CacheBackend(cache_alias)


class Limiter:
    """The limiter's entry point. `backend=None` uses `default_backend()` at each call (so a
    settings change, e.g. in a test, is followed)."""

    def __init__(self, backend: Backend | None = None, *, on_error: OnError = OnError.RAISE):
        self._backend = backend
        self.on_error = OnError(on_error)

    @property
    def backend(self) -> Backend:
        return self._backend or default_backend()

    def _failed(self, window_seconds: float) -> Decision:
        if self.on_error == OnError.ALLOW:
            return Decision(allowed=True)
        return Decision(allowed=False, retry_after=window_seconds)

    # --- sliding-window log ------------------------------------------------------------

    def try_acquire(self, key: str, budget: Budget, *, tokens: int = 0) -> Decision:
        """One grant of `tokens` if it fits `budget` now (recorded), else when it would."""
        grant = Grant(key, uuid.uuid4().hex, max(int(tokens), 0))
        try:
            wait, now = self.backend.try_acquire(key, grant.member, grant.tokens, budget)
        except Exception:
            if self.on_error == OnError.RAISE:
                raise
            return self._failed(budget.window_ms / 1000)
        if wait > 0:
            return Decision(allowed=False, retry_after=wait / 1000, at=now / 1000)
        return Decision(allowed=True, grant=grant, at=now / 1000)

    def hit(self, key: str, rate: Rate) -> Decision:
        """Count one hit against `rate` if it fits (denied hits are not counted)."""
        return self.try_acquire(key, rate.budget())

    def release(self, grant: Grant | None) -> None:
        """Take a recorded hit back (e.g. the attempt turned out to be a good one)."""
        if grant is not None:
            self.backend.release(grant.key, grant.member)

    def settle(self, grant: Grant, tokens: int) -> Grant:
        """Replace a grant's token estimate with what was really used."""
        settled = Grant(grant.key, grant.grant_id, max(int(tokens), 0))
        if settled.tokens != grant.tokens:
            self.backend.settle(grant.key, grant.member, settled.member)
        return settled

    def pause(self, key: str, seconds: float) -> None:
        """Hold every caller of `key` back for `seconds` (e.g. a provider's retry-after)."""
        if seconds > 0:
            self.backend.pause(key, int(seconds * 1000))

    def clear(self, key: str) -> None:
        self.backend.clear(key)

    # --- fixed-window counters -----------------------------------------------------------

    def hit_fixed(
        self, hits: Sequence[tuple[str, Rate]], *, reads: Sequence[str] = ()
    ) -> tuple[list[Decision], Mapping[str, Any]]:
        """Count one hit on each (key, rate) in the current window of that rate (every hit is
        counted, allowed or not), and read the cache keys `reads`, in one round trip.
        Returns one decision per hit and the cached values found (as `get_many`)."""
        now = time.time()
        counters, retry_after = [], []
        for key, rate in hits:
            window = max(int(rate.seconds), 1)
            counters.append((f"{key}:{int(now // window)}", window + _COUNTER_SLACK))
            retry_after.append(window - int(now % window))
        try:
            found, counts = self.backend.count_fixed(counters, list(reads))
        except Exception:
            if self.on_error == OnError.RAISE:
                raise
            return [self._failed(wait) for wait in retry_after], {}
        decisions = [
            Decision(allowed=count <= rate.limit, retry_after=wait, count=count, at=now)
            for (_key, rate), count, wait in zip(hits, counts, retry_after, strict=True)
        ]
        return decisions, found


def ip_bucket(ip: str, ipv6_prefix: int = 64) -> str:
    """The unit a per-IP limit counts: the address, or its /64 network for IPv6 (one host
    usually holds a whole /64)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{ipv6_prefix}", strict=False).network_address)
    return ip
