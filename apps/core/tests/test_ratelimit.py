"""The one limiter (`apps.core.ratelimit`) on both backends: the Django cache with file locks
(the embedded default) and Redis (django-redis; skipped when no Redis answers locally)."""

import uuid

import pytest
from django.core.cache import cache

from apps.core.ratelimit import (
    Budget,
    CacheBackend,
    DecodedOnRead,
    Limiter,
    OnError,
    Rate,
    RedisBackend,
    default_backend,
    ip_bucket,
)
from tests.redis_cache import redis_cache_empty, redis_cache_settings


@pytest.fixture(params=["cache", "redis"])
def limiter(request, settings, tmp_path):
    if request.param == "redis":
        settings.CACHES = {"default": redis_cache_settings()}
        try:
            redis_cache_empty()
        except Exception:
            pytest.skip("no Redis on 127.0.0.1:6379")
        backend = default_backend()
        assert isinstance(backend, RedisBackend)
    else:
        backend = CacheBackend(lock_dir=tmp_path / "locks")
    yield Limiter(backend)
    if request.param == "redis":
        redis_cache_empty()
    else:
        cache.clear()


def _key():
    return f"test:{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("100/minute", Rate(100, 60)),
        ("20/m", Rate(20, 60)),
        ("30/900s", Rate(30, 900)),
        ("5/15min", Rate(5, 900)),
        ("1/day", Rate(1, 86400)),
    ],
)
def test_rates_parse_drf_and_allauth_spellings(text, rate):
    assert Rate.parse(text) == rate


def test_the_sliding_log_allows_the_limit_then_says_when(limiter):
    key, rate = _key(), Rate(2, 60)
    first, second, third = (limiter.hit(key, rate) for _ in range(3))
    assert first.allowed and second.allowed and first.grant and second.grant
    assert not third.allowed and third.grant is None
    assert 59 <= third.retry_after <= 60


def test_denied_hits_are_not_counted_and_a_release_gives_one_back(limiter):
    key, rate = _key(), Rate(1, 60)
    granted = limiter.hit(key, rate)
    assert not limiter.hit(key, rate).allowed
    limiter.release(granted.grant)
    assert limiter.hit(key, rate).allowed


def test_clear_forgets_a_key(limiter):
    key, rate = _key(), Rate(1, 60)
    limiter.hit(key, rate)
    limiter.clear(key)
    assert limiter.hit(key, rate).allowed


def test_token_budgets_settle_to_actual_use(limiter):
    key, budget = _key(), Budget(requests=0, tokens=100, window_ms=60_000)
    granted = limiter.try_acquire(key, budget, tokens=90)
    assert granted.allowed
    assert not limiter.try_acquire(key, budget, tokens=20).allowed
    limiter.settle(granted.grant, 10)
    assert limiter.try_acquire(key, budget, tokens=20).allowed


def test_a_pause_holds_a_key_back(limiter):
    key = _key()
    limiter.pause(key, 30)
    decision = limiter.hit(key, Rate(10, 60))
    assert not decision.allowed and 29 <= decision.retry_after <= 30


def test_fixed_windows_count_every_hit_and_read_in_one_call(limiter):
    cache.set("test:looked-up", {"name": "Acme"}, 60)
    hits = [(_key(), Rate(2, 60)), (_key(), Rate(5, 60))]
    cache.set("test:also", 7, 60)
    reads = ["test:looked-up", "test:absent", "test:also"]
    results = [limiter.hit_fixed(hits, reads=reads) for _ in range(3)]
    assert [[d.count for d in decisions] for decisions, _ in results] == [[1, 1], [2, 2], [3, 3]]
    assert [[d.allowed for d in decisions] for decisions, _ in results][-1] == [False, True]
    assert all(
        found == {"test:looked-up": {"name": "Acme"}, "test:also": 7} for _, found in results
    )
    assert 0 < results[-1][0][0].retry_after <= 60
    decisions, found = limiter.hit_fixed(hits, reads=["test:absent"])
    assert found == {} and decisions[0].count == 4
    decisions, found = limiter.hit_fixed(hits)
    assert found == {} and decisions[0].count == 5


def test_values_read_ahead_are_decoded_only_when_read():
    decoded = []

    def decode(raw: bytes) -> str:
        decoded.append(raw)
        return raw.decode().upper()

    found = DecodedOnRead({"a": b"one", "b": b"two"}, decode)
    assert "a" in found and "zz" not in found and len(found) == 2
    assert decoded == []
    assert found["a"] == "ONE" and found.get("a") == "ONE" and found.get("zz") is None
    assert decoded == [b"one"]  # once, and "b" never
    with pytest.raises(KeyError):
        found["zz"]


class _Broken:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("backend down")

        return fail


def test_what_a_broken_backend_means_is_chosen_per_use():
    with pytest.raises(ConnectionError):
        Limiter(_Broken()).hit("k", Rate(1, 60))
    assert Limiter(_Broken(), on_error=OnError.ALLOW).hit("k", Rate(1, 60)).allowed
    denied = Limiter(_Broken(), on_error=OnError.DENY).hit("k", Rate(1, 60))
    assert not denied.allowed and denied.retry_after == 60
    decisions, found = Limiter(_Broken(), on_error=OnError.ALLOW).hit_fixed([("k", Rate(1, 60))])
    assert decisions[0].allowed and found == {}


def test_ipv6_addresses_count_per_slash_64():
    assert ip_bucket("2001:db8:1:2:3:4:5:6") == ip_bucket("2001:db8:1:2:ffff::1")
    assert ip_bucket("198.51.100.7") == "198.51.100.7"
    assert ip_bucket("unknown") == "unknown"
