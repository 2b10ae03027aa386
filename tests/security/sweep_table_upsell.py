"""Sweep entries of upsell radar (apps.upsell): its API, dashboard pages and webhooks.
Merged into `sweep_table.TABLE` at its end."""

from __future__ import annotations

from tests.security.sweep import FORBIDDEN, NOT_FOUND
from tests.security.sweep_table import AD, AN, OP, Entry, api, fixed, page

_A = "api/v1/tenants/<str:tenant_id>/"
_P = "t/<slug:tenant_slug>/upsell/"
TOOL = "upsell"

ENTRIES: dict[str, Entry] = {
    f"{_A}tickets/": api({"id": "sweep-1", "body": "sweep"}, POST=OP, tool=TOOL),
    f"{_A}upsell/cases/": api(GET=AN, tool=TOOL),
    f"{_A}upsell/cases/<int:case_id>/won/": api(POST=AD, tool=TOOL),
    _P: page(ANY=OP),  # open without the tool: it shows the lock
    f"{_P}<int:case_id>/": page(ANY=OP, tool=TOOL),
    f"{_P}<int:case_id>/decide/": page(POST=AD, tool=TOOL),
    f"{_P}<int:case_id>/won/": page(POST=AD, tool=TOOL),
    f"{_P}settings/": page(POST=AD, tool=TOOL),
    f"{_P}catalogue/": page(POST=AD, tool=TOOL),
    f"{_P}catalogue/<int:item_id>/delete/": page(POST=AD, tool=TOOL),
    f"{_P}secret/": page(POST=AD, tool=TOOL),
    "webhooks/helpdesk/<str:token>/": fixed(NOT_FOUND),  # no helpdesk has this token
    "webhooks/hyrocall/": fixed(FORBIDDEN),  # unsigned (and no HYROCALL configured)
}
