"""A Redis cache of a test's own: a key prefix no other test, xdist worker or concurrent run
shares, emptied by deleting that prefix's keys (never FLUSHDB: the database is shared by
every process of the run and by other runs on the machine)."""

from __future__ import annotations

import os
import uuid

from django.core.cache import cache
from django_redis.cache import RedisCache

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


class PrefixOnlyRedisCache(RedisCache):
    """django-redis, but `clear()` (which the suite's autouse fixture calls after each test)
    deletes this prefix's keys instead of flushing the database under the other workers."""

    def clear(self) -> None:
        self.delete_pattern("*")


def redis_cache_settings() -> dict:
    return {
        "BACKEND": f"{__name__}.PrefixOnlyRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"fastlead-tests-{uuid.uuid4().hex[:12]}",
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    }


def redis_cache_empty() -> None:
    """Delete this test's keys (the prefix set by `redis_cache_settings`)."""
    cache.delete_pattern("*")
