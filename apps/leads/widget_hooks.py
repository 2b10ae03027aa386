"""What the apps above leads add to the public widget, without leads naming them.

- `register_public_config_extra(fn)`: an upper app (booking) adds keys to the published widget
  config; `fn(tenant_id, widget_api_url)` returns a dict merged into it (e.g. `{"booking":
  {"enabled": true, "slots_url": …}}`). Filled from the upper app's wiring.py.
- `register_submission_gate(fn)`: an upper app (privacy: a closed company is read-only) may
  refuse new submissions; `fn(tenant_id)` answers True to refuse. The visitor sees only that
  the form is unavailable.
- `visitor_lead_remember()` / `visitor_lead_id()`: a submission's id (the script's random
  UUID for one press of "Send") is remembered with the lead it became, for a day, so a later
  step of the same widget (booking a meeting) acts for that lead by sending the same id. The
  submit answer stays `{"status": "received"}`: it still says nothing about leads.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.core.cache import cache

VISITOR_MEMORY_SECONDS = 24 * 3600

_EXTRAS: list[Callable[[str, str], dict]] = []


def register_public_config_extra(fn: Callable[[str, str], dict]) -> None:
    if fn not in _EXTRAS:
        _EXTRAS.append(fn)


def public_config_extras(tenant_id: str, widget_api_url: str) -> dict:
    merged: dict = {}
    for fn in _EXTRAS:
        merged.update(fn(str(tenant_id), widget_api_url))
    return merged


_GATES: list[Callable[[str], bool]] = []


def register_submission_gate(fn: Callable[[str], bool]) -> None:
    if fn not in _GATES:
        _GATES.append(fn)


def submissions_refused(tenant_id) -> bool:
    return any(fn(str(tenant_id)) for fn in _GATES)


def _key(tenant_id: str, submission_id) -> str:
    return f"widget:visitor-lead:{tenant_id}:{submission_id}"


def visitor_lead_remember(tenant_id: str, submission_id, lead_id: int | None) -> None:
    if lead_id:
        cache.set(_key(tenant_id, submission_id), int(lead_id), VISITOR_MEMORY_SECONDS)


def visitor_lead_id(tenant_id: str, submission_id) -> int | None:
    """The lead the tenant's submission `submission_id` became, if it is still remembered."""
    try:
        submission_id = uuid.UUID(str(submission_id))
    except ValueError:
        return None
    lead_id = cache.get(_key(tenant_id, submission_id))
    return int(lead_id) if lead_id else None
