"""Per-tenant flags in the shared cache: "does this tenant have X?", asked on hot paths.

A domain event's subscriber often has nothing to do for most tenants (no webhook endpoint,
no enabled rule, nobody to notify); finding that out with a query on every lead is most of
a widget submission's after-commit time. The app that owns the rows answers the question
once and keeps the answer here; every change of those rows bumps the flag's version (the
model signals wired by `invalidate_on_change`, or `tenant_flag_invalidate` where rows are
changed in bulk), so the next read anywhere recomputes:

    WEBHOOK_TYPES = TenantFlag("webhook-types", lambda tenant_id: ...)
    WEBHOOK_TYPES.invalidate_on_change(WebhookEndpoint)      # in the app's wiring.py
    if "lead.created" in WEBHOOK_TYPES.get(tenant_id): ...   # one cache round trip

Built on `apps.core.snapshots` (versioned values: a reader that computed from old rows and
wrote after a change is ignored, never served). A flag may only err towards "yes" (the
subscriber then does the full check); with the cache down it is computed every time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import caches
from django.db.models.signals import post_delete, post_save

from apps.core.snapshots import snapshot_get, version_bump

FLAG_TTL_SECONDS = 3600  # a safety net; invalidation is what makes a flag fresh


@dataclass(frozen=True)
class _Stored:
    value: Any
    valid_until: datetime | None = None


_FLAGS: list[TenantFlag] = []
# While the subscribers of one domain event run (apps/core/events.py): the tenant whose flags
# are read in one `get_many`, and a holder of what it found (None until the first read).
_prefetch: ContextVar[tuple[str, list] | None] = ContextVar("tenant_flags_prefetch", default=None)


class TenantFlag:
    def __init__(self, name: str, compute: Callable[[str], Any]):
        if any(flag.name == name for flag in _FLAGS):
            raise ValueError(f"Tenant flag {name!r} is defined twice")
        self.name = name
        self.compute = compute
        _FLAGS.append(self)

    def _version_key(self, tenant_id: str) -> str:
        return f"tflag:ver:{self.name}:{tenant_id}"

    def _key(self, tenant_id: str) -> str:
        return f"tflag:1:{self.name}:{tenant_id}"

    def get(self, tenant, *, cache=None) -> Any:
        """The flag's value for the tenant: one cache round trip when warm (none inside
        `tenant_flags_prefetched` for this tenant), else computed."""
        tenant_id = str(getattr(tenant, "pk", tenant))
        cache = cache or caches["default"]
        found = None
        prefetch = _prefetch.get()
        if prefetch is not None and prefetch[0] == tenant_id:
            holder = prefetch[1]
            if holder[0] is None:
                holder[0] = cache.get_many(tenant_flag_keys(tenant_id))
            found = holder[0]
        return snapshot_get(
            cache,
            versions=[self._version_key(tenant_id)],
            keys=[self._key(tenant_id)],
            compute=lambda now: _Stored(self.compute(tenant_id)),
            ttl=FLAG_TTL_SECONDS,
            found=found,
        ).value

    def invalidate(self, tenant, *, cache=None) -> None:
        """The rows behind the flag changed: recompute on the next read (now and after
        commit)."""
        tenant_id = str(getattr(tenant, "pk", tenant))
        version_bump(cache or caches["default"], self._version_key(tenant_id))

    def invalidate_on_change(
        self, model, tenant_of: Callable[[Any], Any] = lambda row: row.tenant_id
    ) -> None:
        """Bump the flag whenever a `model` row is saved or deleted (from an app's wiring.py)."""

        def changed(sender, instance, **kwargs) -> None:
            tenant_id = tenant_of(instance)
            if tenant_id is not None:
                self.invalidate(tenant_id)

        changed.__name__ = f"invalidate_{self.name}"
        uid = f"tenant-flag:{self.name}:{model._meta.label}"
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid)


def tenant_flag_keys(tenant_id) -> list[str]:
    """The cache keys of every flag of the tenant (a caller that reads them with its own in
    one `get_many` hands the result to `tenant_flags_prefetched` as `found`)."""
    tenant_id = str(tenant_id)
    return [k for flag in _FLAGS for k in (flag._version_key(tenant_id), flag._key(tenant_id))]


@contextmanager
def tenant_flags_prefetched(tenant_id, *, found=None) -> Iterator[None]:
    """Within this block the first flag read for `tenant_id` reads every flag of the tenant
    in one `get_many` (none if the caller read `tenant_flag_keys` already: `found`), and
    later reads use it (the subscribers of one event ask several). A flag changed meanwhile
    is seen by the next block (each event's delivery is one). Inside a block for the same
    tenant (a widget submission and the events it raises), the outer block's read serves."""
    current = _prefetch.get()
    if tenant_id is None or (current is not None and current[0] == str(tenant_id)):
        yield
        return
    # `found` as it is (its values may be decoded only as they are read): a flag missing
    # from it is computed, as on a cache miss.
    token = _prefetch.set((str(tenant_id), [found]))
    try:
        yield
    finally:
        _prefetch.reset(token)
