"""Our fields → CRM fields, and our statuses ↔ the pipeline's stages (defaults and checks).

A field target is `contact:<FIELD>` or `deal:<FIELD>`: amoCRM takes `name`, field codes
(`PHONE`, `EMAIL`, `POSITION`), `cf_<field id>`, and for the deal `tag`, `note`, `price`;
Bitrix24 takes its field names (`NAME`, `PHONE`, `EMAIL`, `POST`, `COMMENTS`,
`SOURCE_DESCRIPTION`, `UF_CRM_…`). Empty means "not sent".
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.errors import ValidationFailed
from apps.leads.models import LeadStatus

OUR_FIELDS = {
    "name": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"),
    "company": gettext_lazy("Company"),
    "source": gettext_lazy("Source"),
    "comment": gettext_lazy("Comment (the person's message)"),
}
DEFAULT_FIELDS = {
    "amocrm": {
        "name": "contact:name",
        "phone": "contact:PHONE",
        "email": "contact:EMAIL",
        "company": "",
        "source": "deal:tag",
        "comment": "deal:note",
    },
    "bitrix24": {
        "name": "contact:NAME",
        "phone": "contact:PHONE",
        "email": "contact:EMAIL",
        "company": "",
        "source": "deal:SOURCE_DESCRIPTION",
        "comment": "deal:COMMENTS",
    },
}
TARGET = re.compile(r"^(contact|deal):[A-Za-z0-9_]{1,64}$")
WON, LOST = LeadStatus.WON.value, LeadStatus.LOST.value
OPEN_ORDER = (LeadStatus.NEW.value, LeadStatus.CONTACTED.value, LeadStatus.BOOKED.value)


def field_map_clean(provider: str, mapping: dict) -> dict:
    """The mapping as stored: every field of ours, each target checked."""
    errors, clean = {}, {}
    for field in OUR_FIELDS:
        value = str(mapping.get(field, DEFAULT_FIELDS[provider][field]) or "").strip()
        if value and not TARGET.match(value):
            errors[field] = [_("Write contact:FIELD or deal:FIELD, e.g. contact:PHONE.")]
        clean[field] = value
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), fields=errors)
    return clean


def _final(provider: str, stage_id: str) -> str:
    if provider == "amocrm":
        return {"142": WON, "143": LOST}.get(stage_id, "")
    tail = stage_id.rsplit(":", 1)[-1]
    return {"WON": WON, "LOSE": LOST}.get(tail, "")


def default_status_map(provider: str, stages: list[dict]) -> dict:
    """won/lost to the pipeline's closing stages, new/contacted/booked to its first open
    stages in order."""
    mapping = {status: "" for status in LeadStatus.values}
    open_stages = []
    for stage in stages:
        final = _final(provider, str(stage["id"]))
        if final and not mapping[final]:
            mapping[final] = str(stage["id"])
        elif not final:
            open_stages.append(str(stage["id"]))
    for status, stage_id in zip(OPEN_ORDER, open_stages, strict=False):
        mapping[status] = stage_id
    return mapping


def status_map_clean(stages: list[dict], mapping: dict) -> dict:
    known = {str(s["id"]) for s in stages}
    errors, clean = {}, {}
    for status in LeadStatus.values:
        value = str(mapping.get(status) or "")
        if value and value not in known:
            errors[status] = [_("Not a stage of the chosen pipeline.")]
        clean[status] = value
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), fields=errors)
    return clean


def status_for_stage(status_map: dict, stage_id: str) -> str:
    """Our status for a stage: the first status mapped to it ("" when none is)."""
    for status in LeadStatus.values:
        if stage_id and status_map.get(status) == stage_id:
            return status
    return ""


def draft_fields(field_map: dict, values: dict) -> tuple[dict, dict]:
    """(contact fields, deal fields) for the CRM from our values, by the mapping."""
    contact, deal = {}, {}
    for field, target in field_map.items():
        value = values.get(field)
        if not target or not value:
            continue
        side, name = target.split(":", 1)
        (contact if side == "contact" else deal)[name] = value
    return contact, deal
