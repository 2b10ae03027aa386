"""Redis down (issue #12, item 5): the cache answers "not cached" instead of raising, a breaker
stops paying a connection attempt per call, and limits fall back as their owner chose."""

import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from redis.connection import AbstractConnection

from apps.core.ratelimit import Budget, CacheBackend, Limiter, OnError, Rate
from apps.core.ratelimit_fallback import DegradingLimiter, LocalBackend
from apps.core.redis_outage import REDIS, RedisSkipped, is_outage
from conftest import closed_port


def warnings_logged(caplog, logger: str) -> list[dict]:
    """The structlog event dicts of the warnings `logger` wrote."""
    return [r.msg for r in caplog.records if r.name == logger and r.levelno == logging.WARNING]


class _Broken:
    """A backend whose every call fails as an unreachable Redis would."""

    calls = 0

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            type(self).calls += 1
            raise ConnectionError("backend down")

        return fail


@pytest.fixture
def connects(monkeypatch):
    """How many times redis-py tried to open a connection."""

    attempts = []
    real = AbstractConnection.connect

    def counting(self, *args, **kwargs):
        attempts.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "connect", counting)
    return attempts


def test_the_cache_answers_not_cached_and_drops_writes_when_redis_is_down(redis_down, caplog):
    # when
    cache.set("k", "v", 60)
    value = cache.get("k", "default")
    many = cache.get_many(["a", "b"])
    added = cache.add("k2", 1)
    # then nothing raised, reads are misses (as Django's DummyCache: `add` says it added, so
    # a cache lock such as allauth's proceeds), and one warning says why
    assert (value, many, added) == ("default", {}, True)
    assert [e["event"] for e in warnings_logged(caplog, "fastlead.outage")] == ["redis_unavailable"]


def test_with_redis_down_each_get_many_answers_a_dict_of_its_own(redis_down):
    first = cache.get_many(["a"])
    first["a"] = "written by a caller"
    assert cache.get_many(["a"]) == {}


def test_the_breaker_skips_redis_after_a_failure_and_tries_again_later(
    redis_down, connects, settings
):
    settings.REDIS_OUTAGE_RETRY_SECONDS = 60
    cache.get("first")  # fails to connect: the breaker opens
    tried = len(connects)
    assert tried >= 1 and REDIS.is_open()
    for _ in range(20):
        cache.get("next")
    assert len(connects) == tried  # no connection attempt while the breaker is open
    REDIS.reset()
    cache.get("again")
    assert len(connects) > tried


def test_only_connection_failures_count_as_an_outage():
    assert is_outage(ConnectionError("refused")) and is_outage(RedisSkipped())
    assert not is_outage(ValueError("a bug")) and not is_outage(None)


def test_a_limit_falls_back_to_this_process_and_still_limits(caplog):
    limiter = DegradingLimiter("test", fallback=LocalBackend(), on_error=OnError.ALLOW)
    limiter._backend = _Broken()
    decisions = [limiter.hit("k", Rate(2, 60)) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[0].grant.fallback and 0 < decisions[2].retry_after <= 60
    degraded = warnings_logged(caplog, "fastlead.ratelimit")  # once, not per hit
    assert [(e["event"], e["fallback"]) for e in degraded] == [
        ("ratelimit_degraded", "LocalBackend")
    ]
    # a release reaches the backend that recorded the grant
    limiter.release(decisions[0].grant)
    assert limiter.hit("k", Rate(2, 60)).allowed


def test_fixed_windows_fall_back_with_each_limit_divided_by_the_share():
    limiter = DegradingLimiter("test", fallback=LocalBackend(), on_error=OnError.ALLOW, share=2)
    limiter._backend = _Broken()
    results = [limiter.hit_fixed([("ip", Rate(4, 60))], reads=["cached"]) for _ in range(3)]
    assert [decisions[0].allowed for decisions, _ in results] == [True, True, False]
    assert all(found == {} for _, found in results)  # the shared cache's entries are unknown


def test_the_share_comes_from_settings_when_not_given(settings):
    settings.RATELIMIT_FALLBACK_SHARE = 4
    limiter = DegradingLimiter("test", fallback=LocalBackend(), share=None)
    limiter._backend = _Broken()
    budget = Budget(requests=8, tokens=0, window_ms=60_000)
    assert [limiter.try_acquire("k", budget).allowed for _ in range(3)] == [True, True, False]


def test_on_error_applies_only_when_the_fallback_fails_too():
    closed = DegradingLimiter("test", fallback=_Broken(), on_error=OnError.DENY)
    closed._backend = _Broken()
    assert not closed.hit("k", Rate(5, 60)).allowed
    opened = DegradingLimiter("test", fallback=_Broken(), on_error=OnError.ALLOW)
    opened._backend = _Broken()
    assert opened.hit("k", Rate(5, 60)).allowed


def test_a_healthy_shared_backend_is_used_and_the_fallback_left_alone(tmp_path):
    fallback = LocalBackend()
    limiter = DegradingLimiter("test", fallback=fallback, backend=CacheBackend(lock_dir=tmp_path))
    decision = limiter.hit("k", Rate(1, 60))
    assert decision.allowed and not decision.grant.fallback
    assert not Limiter(fallback).hit("k", Rate(1, 60)).grant.fallback  # fallback still empty
    limiter.clear("k")
    assert limiter.hit("k", Rate(1, 60)).allowed


def test_the_settings_with_redis_url_survive_an_unreachable_redis():
    """The production configuration itself (REDIS_URL set), in a fresh process."""

    code = (
        "from django.core.cache import caches; c = caches['default']; "
        "print(type(c).__name__, c.get('anything', 'miss'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env={**env, "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/1", "LOG_FORMAT": "console"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["ResilientRedisCache", "miss"]
