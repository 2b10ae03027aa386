"""Isolation sweep entries for the widget, booking, analytics and onboarding routes.

Imported at the end of `tests/security/sweep_table.py` (TABLE.update(ENTRIES)).
"""

from __future__ import annotations

from dataclasses import replace

from tests.security.sweep import FORBIDDEN, NOT_FOUND
from tests.security.sweep_table import AD, AN, OP, PUBLIC, Entry, api, fixed, page

_T = "api/v1/tenants/<str:tenant_id>/"


def _wizard() -> Entry:
    base = page(ANY=AD)
    return replace(base, overrides={("*", "admin"): NOT_FOUND})


_A = f"{_T}analytics/"

ENTRIES: dict[str, Entry] = {
    # --- API: widget, booking, analytics ------------------------------------------------
    f"{_T}widget/snippet/": api(GET=AN),  # WidgetSnippetAPI: any member
    f"{_T}booking/settings/": api(GET=AD, PUT=AD, tool="booking"),  # ADMIN_ONLY
    f"{_T}booking/settings/test/": api(POST=AD, tool="booking"),
    f"{_T}bookings/": api(GET=OP, tool="booking"),  # OPERATORS
    f"{_T}bookings/<int:booking_id>/cancel/": api(POST=OP, tool="booking"),
    f"{_A}dashboard/": api(GET=AN),
    f"{_A}channels/": api(GET=AN),
    f"{_A}funnel/": api(GET=AN),
    f"{_A}operators/": api(GET=AN, tool="extended_analytics"),
    f"{_A}cohorts/": api(GET=AN, tool="advanced_analytics"),
    # --- public API (widget) ------------------------------------------------------------
    # Local storage, a neutral name no file has: 404 whoever asks.
    "api/public/v1/widget-assets/<path:name>": fixed(NOT_FOUND),
    "api/public/v1/widget/<str:publishable_key>/slots/": Entry(PUBLIC),
    # No Origin header: refused whoever calls (the widget posts from an allowed site).
    "api/public/v1/widget/<str:publishable_key>/book/": fixed(FORBIDDEN),
    # --- dashboard: widget --------------------------------------------------------------
    "t/<slug:tenant_slug>/widget/draft/": page(POST=AD),
    "t/<slug:tenant_slug>/widget/images/<str:kind>/": page(POST=AD),
    "t/<slug:tenant_slug>/widget/demo/": page(ANY=AN),
    "t/<slug:tenant_slug>/widget/demo/status/": page(ANY=AN),
    "t/<slug:tenant_slug>/widget/origins/<int:attempt_id>/allow/": page(POST=AD),
    "t/<slug:tenant_slug>/widget/origins/<int:attempt_id>/dismiss/": page(POST=AD),
    # --- dashboard: booking, Cal.com webhook --------------------------------------------
    # Without the booking tool the page answers 200 with the lock (no meetings, no form).
    "t/<slug:tenant_slug>/booking/": page(ANY=OP),
    "t/<slug:tenant_slug>/booking/settings/": page(POST=AD, tool="booking"),
    "t/<slug:tenant_slug>/booking/settings/test/": page(POST=AD, tool="booking"),
    "t/<slug:tenant_slug>/booking/<int:booking_id>/cancel/": page(POST=OP, tool="booking"),
    "webhooks/calcom/<str:token>/": fixed(NOT_FOUND),  # no calendar has this token
    # --- dashboard: analytics, the weekly report's opt-out ------------------------------
    "t/<slug:tenant_slug>/analytics/": page(ANY=AN),
    "t/<slug:tenant_slug>/analytics/export/<slug:table>.<str:fmt>": page(ANY=AN),
    "reports/unsubscribe/<str:token>/": fixed(NOT_FOUND),  # not a signed opt-out token
    # --- onboarding -----------------------------------------------------------------------
    # Admins only (dashboard_view(Role.ADMIN)). The sweep's companies come from a factory, not
    # sign-up: no TenantCreated, so no onboarding progress row, and with the flag neither on
    # nor off the wizard does not apply to them: their admin gets 404 (the wizard's own
    # answer). Seeding an OnboardingProgress row per world would let the admin in: then
    # drop the override.
    "t/<slug:tenant_slug>/welcome/": _wizard(),
    "t/<slug:tenant_slug>/welcome/<slug:step>/": _wizard(),
    "t/<slug:tenant_slug>/tour/done/": page(POST=AN),
}
