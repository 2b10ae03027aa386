"""Sweep entries of the privacy app (apps.privacy): a lead's personal data (export, erasure,
consent withdrawal), retention, the export of everything and closing the company. Admins only
(consent withdrawal: operators too). Merged into `sweep_table.TABLE` at its end."""

from __future__ import annotations

from tests.security.sweep_table import AD, OP, U_API, U_PAGE, Entry, api, page

_A = "api/v1/tenants/<str:tenant_id>/"
_L = f"{_A}leads/<int:lead_id>/"
_E = f"{_A}privacy/export/<int:company_export_id>/"
_P = "t/<slug:tenant_slug>/privacy/"
_PL = "t/<slug:tenant_slug>/leads/<int:lead_id>/"
_DAYS = {"conversations_days": 30}

ENTRIES: dict[str, Entry] = {
    f"{_L}personal-data-export/": api(POST=AD),
    f"{_L}erase/": api({"confirm": True}, POST=AD),
    f"{_L}consent/withdraw/": api({"purposes": ["marketing"]}, POST=OP),
    f"{_A}privacy/retention/": api(_DAYS, GET=AD, PUT=AD),
    f"{_A}privacy/export/": api(GET=AD, POST=AD),
    _E: api(GET=AD),
    f"{_E}download/": api(GET=AD),
    f"{_A}close/": api({"confirm_slug": "{tenant_slug}"}, POST=AD),
    _P: page(ANY=AD),
    f"{_P}retention/": page(_DAYS, POST=AD),
    f"{_P}export/": page(POST=AD),
    f"{_P}exports/": page(ANY=AD),
    f"{_P}export/<int:company_export_id>/download/": page(ANY=AD),
    f"{_P}close/": page({"confirm_slug": "{tenant_slug}"}, ANY=AD),
    f"{_PL}personal-data/": page(POST=AD),
    f"{_PL}erase/": page({"confirm": "on"}, ANY=AD),
    f"{_PL}consent/withdraw/": page(POST=OP),
    "api/v1/me/personal-data-export/": U_API,  # one's own data only
    "account/personal-data/": U_PAGE,
}
