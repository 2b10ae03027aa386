"""A Redis cache of a test's own: a key prefix no other test, xdist worker or concurrent run
shares, emptied by deleting that prefix's keys (never FLUSHDB: the database is shared by
every process of the run and by other runs on the machine)."""

from __future__ import annotations

import os
import uuid

from django.core.cache import cache

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def redis_cache_settings() -> dict:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": f"fastlead-tests-{uuid.uuid4().hex[:12]}",
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    }


def redis_cache_empty() -> None:
    """Delete this test's keys (the prefix set by `redis_cache_settings`)."""
    cache.delete_pattern("*")
