"""Sweep entries of the conversations (apps.messaging) and the follow-up rules
(apps.messaging.rules): the inbox, the lead's conversation, their API, the events API, the
widget's chat and the channels' webhooks. Merged into `sweep_table.TABLE` at its end."""

from __future__ import annotations

from tests.security.sweep import FORBIDDEN, NOT_FOUND
from tests.security.sweep_table import AD, AN, OP, Entry, api, fixed, page

_T = "api/v1/tenants/<str:tenant_id>/"
_CONV = f"{_T}conversations/<int:conversation_id>/"
_LEAD = "t/<slug:tenant_slug>/leads/<int:lead_id>/conversation/"
_RULES = "t/<slug:tenant_slug>/rules/"
CHANNELS, RULES = "channels", "messaging_rules"

ENTRIES: dict[str, Entry] = {
    # --- API: conversations (operators; analysts do not read conversations) -----------
    f"{_T}conversations/": api(GET=OP),
    _CONV: api(GET=OP),
    f"{_CONV}read/": api(POST=OP),
    f"{_CONV}close/": api(POST=OP),
    f"{_CONV}reopen/": api(POST=OP),
    f"{_CONV}assign/": api({"user_id": "{own_user_id}"}, POST=OP),
    # Sending needs the channels tool; reading the thread does not.
    f"{_T}leads/<int:lead_id>/messages/": api(
        GET=OP, POST=OP, tool=CHANNELS, tool_methods=("POST",)
    ),
    f"{_T}messages/<int:message_id>/resend/": api(POST=OP, tool=CHANNELS),
    # --- API: follow-up rules (the tool for every method; reading from analyst up) ----
    f"{_T}events/": api(POST=OP, tool=RULES),
    f"{_T}audit/<str:subject_id>/": api(GET=AN, tool=RULES),
    f"{_T}messages/": api(GET=AN, tool=RULES),
    # --- public: the widget's web chat ------------------------------------------------
    # No Origin header: refused whoever calls (the widget calls from an allowed site).
    "api/public/v1/widget/<str:publishable_key>/chat/": fixed(FORBIDDEN),
    # --- dashboard: the inbox -----------------------------------------------------------
    "t/<slug:tenant_slug>/inbox/": page(ANY=OP),
    "t/<slug:tenant_slug>/inbox/badge/": page(ANY=OP),
    "t/<slug:tenant_slug>/inbox/routing/": page(POST=AD),
    "t/<slug:tenant_slug>/inbox/<int:conversation_id>/take/": page(POST=OP),
    "t/<slug:tenant_slug>/inbox/<int:conversation_id>/close/": page(POST=OP),
    # --- dashboard: the conversation on the lead page ---------------------------------
    _LEAD: page(ANY=AN),  # the thread (read-only for analysts)
    f"{_LEAD}reply-box/": page(ANY=OP),
    f"{_LEAD}reply/": page(POST=OP),
    f"{_LEAD}messages/<int:message_id>/resend/": page(POST=OP),
    # --- dashboard: follow-up rules (operators, with the tool) ------------------------
    _RULES: page(ANY=OP, tool=RULES),
    f"{_RULES}packs/<slug:pack_key>/install/": page(POST=OP, tool=RULES),
    f"{_RULES}new/": page(ANY=OP, tool=RULES),
    f"{_RULES}<int:rule_id>/": page(ANY=OP, tool=RULES),
    f"{_RULES}<int:rule_id>/toggle/": page(POST=OP, tool=RULES),
    f"{_RULES}try/": page(POST=OP, tool=RULES),
    f"{_RULES}templates/": page(ANY=OP, tool=RULES),
    f"{_RULES}templates/new/": page(ANY=OP, tool=RULES),
    f"{_RULES}templates/<int:template_id>/": page(ANY=OP, tool=RULES),
    f"{_RULES}templates/preview/": page(POST=OP, tool=RULES),
    # The "why was this sent" card: any member; without the tool it is empty, not locked.
    "t/<slug:tenant_slug>/leads/<int:lead_id>/why/": page(ANY=AN),
    # --- webhooks: an unknown channel token (and kind) answers 404 ---------------------
    "webhooks/channels/<slug:kind>/<str:token>/": fixed(NOT_FOUND),
}
