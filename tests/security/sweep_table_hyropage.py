"""Sweep entries of HyroPage (apps.hyropage): the API, the dashboard pages and the public
page. Operators and admins write, analysts read the API; the hyropage tool is needed. Merged
into `sweep_table.TABLE` at its end."""

from __future__ import annotations

from tests.security.sweep_table import AN, OP, PUBLIC, Entry, api, page

_A = "api/v1/tenants/<str:tenant_id>/hyropages/"
_P = "t/<slug:tenant_slug>/pages/"
_ID = f"{_P}<int:page_id>/"
TOOL = "hyropage"
_BRIEF = {"product": "Sweep offer", "audience": "owners", "language": "ru", "tone": "friendly"}

ENTRIES: dict[str, Entry] = {
    _A: api(_BRIEF, GET=AN, POST=OP, tool=TOOL),
    f"{_A}<int:page_id>/": api(GET=AN, PATCH=OP, tool=TOOL),
    f"{_A}<int:page_id>/publish/": api({"published": "false"}, POST=OP, tool=TOOL),
    _P: page(ANY=OP),  # open without the tool: it shows the lock and the plan
    f"{_P}new/": page(_BRIEF, POST=OP, tool=TOOL),
    _ID: page(ANY=OP, tool=TOOL),
    f"{_ID}status/": page(ANY=OP, tool=TOOL),
    f"{_ID}save/": page(POST=OP, tool=TOOL),
    f"{_ID}preview/": page(ANY=OP, tool=TOOL),
    f"{_ID}publish/": page(POST=OP, tool=TOOL),
    f"{_ID}unpublish/": page(POST=OP, tool=TOOL),
    f"{_ID}regenerate/": page(POST=OP, tool=TOOL),
    f"{_ID}versions/<int:number>/restore/": page(POST=OP, tool=TOOL),
    # The published page is public (foreign ids: tenant B's published page, public too).
    "p/<slug:company_slug>/<slug:page_slug>/": Entry(PUBLIC),
}
