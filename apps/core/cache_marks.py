"""Marks in the shared cache that say "someone is on it": set once, read by everyone else.

`mark_set_or_get` is one round trip on Redis (SET … NX GET, Redis ≥ 7): the caller learns in
the same answer whether it set the mark or what the mark already held, e.g. when the work it
stands for was queued, so that a process can remember that and stop asking for a while.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache


def mark_set_or_get(key: str, value: Any, timeout: float) -> Any:
    """Set `key` to `value` unless it exists. None when this call set it (or the cache could
    not be asked, as `cache.add` answers then); otherwise the value already there."""
    set_or_get = getattr(cache, "set_or_get", None)
    if set_or_get is not None:
        return set_or_get(key, value, timeout)
    # Other backends (tests, the embedded default): two calls; a mark removed in between
    # reads as None, i.e. "set by this call": the caller does the work once more.
    return None if cache.add(key, value, timeout) else cache.get(key)
