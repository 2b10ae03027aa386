"""Sweep entries of the outbound webhooks (apps.integrations): the API and the dashboard page.
Admins only, with the webhooks tool. Merged into `sweep_table.TABLE` at its end."""

from __future__ import annotations

from tests.security.sweep import INVALID, NOT_FOUND
from tests.security.sweep_table import AD, Entry, api, fixed, page

_W = "api/v1/tenants/<str:tenant_id>/webhooks/"
_P = "t/<slug:tenant_slug>/webhooks/"
_C = "t/<slug:tenant_slug>/crm/"
TOOL = "webhooks"
# A public address literal: no DNS in the sweep, and no send (its requests are rolled back
# before the commit that would queue one).
_NEW = {"url": "https://93.184.216.34/sweep", "events": ["lead.created"]}

ENTRIES: dict[str, Entry] = {
    f"{_W}endpoints/": api(_NEW, GET=AD, POST=AD, tool=TOOL),
    f"{_W}endpoints/<int:endpoint_id>/": api(
        {"description": "Sweep"}, GET=AD, PATCH=AD, DELETE=AD, tool=TOOL
    ),
    f"{_W}endpoints/<int:endpoint_id>/test/": api(POST=AD, tool=TOOL),
    f"{_W}deliveries/": api(GET=AD, tool=TOOL),
    f"{_W}deliveries/<int:delivery_id>/": api(GET=AD, tool=TOOL),
    f"{_W}deliveries/<int:delivery_id>/resend/": api(POST=AD, tool=TOOL),
    _P: page(ANY=AD),  # open without the tool: it shows the lock and the plan
    f"{_P}signatures/": page(ANY=AD),  # the verification recipe: documentation
    f"{_P}new/": page(_NEW, POST=AD, tool=TOOL),
    f"{_P}<int:endpoint_id>/": page(ANY=AD, tool=TOOL),
    f"{_P}<int:endpoint_id>/log/": page(ANY=AD, tool=TOOL),
    f"{_P}<int:endpoint_id>/test/": page(POST=AD, tool=TOOL),
    f"{_P}<int:endpoint_id>/toggle/": page(POST=AD, tool=TOOL),
    f"{_P}<int:endpoint_id>/delete/": page(POST=AD, tool=TOOL),
    f"{_P}deliveries/<int:delivery_id>/resend/": page(POST=AD, tool=TOOL),
    # CRM sync (apps/integrations/crm). The seed's connection waits for authorization: the
    # settings answer 409 "connect first", and nothing ever reaches a CRM.
    "api/v1/tenants/<str:tenant_id>/crm/connection/": api(GET=AD, tool=TOOL),
    "api/v1/tenants/<str:tenant_id>/crm/backfill/": api(GET=AD, POST=AD, tool=TOOL),
    _C: page(ANY=AD),  # open without the tool: it shows the lock and the plan
    f"{_C}amocrm/": page(POST=AD, tool=TOOL),  # an empty form: 400
    f"{_C}bitrix24/": page(POST=AD, tool=TOOL),
    f"{_C}bitrix24/token/": page(POST=AD, tool=TOOL),
    f"{_C}pipeline/": page(POST=AD, tool=TOOL),
    f"{_C}statuses/": page(POST=AD, tool=TOOL),
    f"{_C}fields/": page(POST=AD, tool=TOOL),
    f"{_C}disconnect/": page(POST=AD, tool=TOOL),
    f"{_C}log/": page(ANY=AD, tool=TOOL),
    f"{_C}backfill/": page(ANY=AD, tool=TOOL),
    f"{_C}jobs/<int:job_id>/retry/": page(POST=AD, tool=TOOL),
    "crm/amocrm/callback/": fixed(INVALID),  # amoCRM's redirect: no state, no code
    "webhooks/crm/amocrm/<str:token>/": fixed(NOT_FOUND),  # no connection has this token
    "webhooks/crm/bitrix24/<str:token>/": fixed(NOT_FOUND),
}
