"""Versioned snapshots in the shared cache: computed once, seen stale by nobody.

A snapshot (billing's plan limits, features' entitlements) is stored with the version tokens
it was computed under. Changing the data replaces a token (`version_bump`); every process
then finds its snapshot under old tokens and recomputes on its next read:

    snapshot_get(cache, versions=["x:ver:<tenant>", "x:ver:*"], keys=["x:1:full:<tenant>"],
                 compute=lambda now: ..., ttl=600)

One `get_many` reads the tokens and the snapshot. A snapshot counts only if it was computed
under the current tokens, so a reader that computed from old rows and wrote after a bump is
ignored by the next reader instead of serving stale data. A snapshot also carries
`valid_until` (the next expiry it knows of), after which it is recomputed even if nothing
bumped a token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from django.db import transaction
from django.utils import timezone


class Snapshot(Protocol):
    valid_until: datetime | None


S = TypeVar("S", bound=Snapshot)


def snapshot_get(
    cache,
    *,
    versions: Sequence[str],
    keys: Sequence[str],
    compute: Callable[[datetime], S],
    ttl: float,
    found: Mapping[str, object] | None = None,
) -> S:
    """The snapshot under `keys[0]` (or a richer one under a later key that also answers)
    if it was stored under the current `versions` and is still valid, else `compute(now)`,
    stored under `keys[0]` for at most `ttl` seconds. `found`: the caller already read
    `versions` and `keys` (with others of its own) in one `get_many`; a key absent from it
    is absent from the cache."""
    if found is None:
        found = cache.get_many([*versions, *keys])
    tokens = tuple(_version(cache, key, found.get(key)) for key in versions)
    now = timezone.now()
    for key in keys:
        cached = found.get(key)
        fresh = cached is not None and cached[0] == tokens
        if fresh and (cached[1].valid_until is None or cached[1].valid_until > now):
            return cached[1]
    snapshot = compute(now)
    timeout = ttl
    if snapshot.valid_until is not None:
        timeout = max(1, min(timeout, (snapshot.valid_until - now).total_seconds()))
    cache.set(keys[0], (tokens, snapshot), timeout)
    return snapshot


def version_get(cache, key: str) -> str:
    """The current token under `key` (created on first use)."""
    return _version(cache, key, cache.get(key))


def version_bump(cache, key: str) -> None:
    """Make every snapshot stored under `key`'s current token stale."""
    # Now, so that this transaction's own later reads recompute; and again after commit, so
    # that a snapshot another process computed from the old rows meanwhile is dropped too.
    cache.set(key, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, None), robust=True)


def _version(cache, key: str, value) -> str:
    if value is not None:
        return value
    cache.add(key, uuid.uuid4().hex, None)  # first use: atomic, never overwrites a bump
    return cache.get(key)
