"""What the apps above leads add to the public widget, without leads naming them.

- `register_public_config_extra(fn)`: an upper app (booking) adds keys to the published widget
  config; `fn(tenant_id, widget_api_url)` returns a dict merged into it (e.g. `{"booking":
  {"enabled": true, "slots_url": …}}`). Filled from the upper app's AppConfig.ready().
- `visitor_lead_token()` / `visitor_lead_id()`: the submit answer carries a signed token naming
  the lead the visitor just became (tenant-bound, valid for a day), so a later step of the same
  widget (booking a meeting) can act for that lead without ever exposing other leads.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core import signing

TOKEN_SALT = "fastlead.widget.visitor-lead"
TOKEN_MAX_AGE = 24 * 3600

_EXTRAS: list[Callable[[str, str], dict]] = []


def register_public_config_extra(fn: Callable[[str, str], dict]) -> None:
    if fn not in _EXTRAS:
        _EXTRAS.append(fn)


def public_config_extras(tenant_id: str, widget_api_url: str) -> dict:
    merged: dict = {}
    for fn in _EXTRAS:
        merged.update(fn(str(tenant_id), widget_api_url))
    return merged


def visitor_lead_token(tenant_id: str, lead_id: int) -> str:
    return signing.dumps([str(tenant_id), int(lead_id)], salt=TOKEN_SALT, compress=True)


def visitor_lead_id(token: str, tenant_id: str) -> int | None:
    """The lead id the token names, if it is genuine, fresh and for this tenant."""
    try:
        signed_tenant, lead_id = signing.loads(str(token), salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return int(lead_id) if signed_tenant == str(tenant_id) else None
