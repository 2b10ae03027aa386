"""What a lead's enrichment depends on, and its input hash.

A lead is re-enriched only when its input changed (or when forced). The input is:
- the lead's *own* facts the prompt uses (`LEAD_FACT_FIELDS`), normalized — a value that an
  earlier enrichment wrote (and nobody changed since) is not an own fact: it is left out of the
  prompt and of the hash, so enriching a lead does not by itself change its hash;
- the fields to fill: enriched fields that are not set by hand (`manual_fields`) and are either
  blank or still hold the value an earlier enrichment wrote (AI values may be refreshed, hand
  typed and imported values never);
- the prompt version (a digest of the system prompt and the output schema) and the mode
  (the provider, or the offline heuristic: a run with a key re-enriches offline results).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from apps.enrichment.prompt import (
    ENRICHED_FIELDS,
    LEAD_FACT_FIELDS,
    SYSTEM_PROMPT,
    EnrichmentOutput,
)

# The model's output field -> the lead's column.
OUTPUT_TO_LEAD = {
    name: ("pain_point" if name == "pain_point_hypothesis" else name) for name in ENRICHED_FIELDS
}
LEAD_FIELDS: tuple[str, ...] = tuple(OUTPUT_TO_LEAD.values())
# Every column a decision needs (read with .values() for thousands of leads at once).
LEAD_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(("id", *LEAD_FACT_FIELDS, *LEAD_FIELDS, "manual_fields", "not_determined"))
)
_SPACES = re.compile(r"\s+")


def _prompt_version() -> str:
    schema = json.dumps(EnrichmentOutput.model_json_schema(), sort_keys=True)
    return hashlib.sha256(f"{SYSTEM_PROMPT}\n{schema}".encode()).hexdigest()[:16]


PROMPT_VERSION = _prompt_version()


def ai_values(history: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The value each field got from the newest enrichment that wrote it. `history` is the
    lead's enriched items, newest first, each with `fields` and `applied_fields`."""
    values: dict[str, str] = {}
    for item in history:
        fields = item.get("fields") or {}
        for name in item.get("applied_fields") or ():
            if name not in values and fields.get(name):
                values[name] = fields[name]
    return values


def ai_written(lead: Mapping[str, Any], written: Mapping[str, str]) -> set[str]:
    """Fields whose current value is still the one enrichment wrote (not typed by hand)."""
    manual = set(lead.get("manual_fields") or ())
    return {
        name
        for name, value in written.items()
        if name not in manual and (lead.get(name) or "") == value
    }


def fields_to_fill(lead: Mapping[str, Any], ai_fields: set[str]) -> list[str]:
    manual = set(lead.get("manual_fields") or ())
    return [
        name
        for name in LEAD_FIELDS
        if name not in manual and (not (lead.get(name) or "").strip() or name in ai_fields)
    ]


def _normalize(name: str, value: Any) -> str:
    text = _SPACES.sub(" ", str(value or "")).strip()
    return text.lower() if name in ("email", "website") else text


def own_facts(lead: Mapping[str, Any], ai_fields: set[str]) -> dict[str, str]:
    """The facts the prompt is built from: the lead's non-empty fields, minus AI values."""
    facts = {}
    for name in LEAD_FACT_FIELDS:
        if name in ai_fields:
            continue
        value = _normalize(name, lead.get(name))
        if value:
            facts[name] = value
    return facts


def input_hash(facts: Mapping[str, str], fill: Iterable[str], *, mode: str) -> str:
    payload = {
        "prompt": PROMPT_VERSION,
        "mode": mode,
        "facts": dict(sorted(facts.items())),
        "fill": sorted(fill),
    }
    raw = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def lead_input(lead: Mapping[str, Any], history: Iterable[Mapping[str, Any]], *, mode: str):
    """(facts, fields to fill, AI-written fields, input hash) of one lead."""
    ai_fields = ai_written(lead, ai_values(history))
    facts = own_facts(lead, ai_fields)
    fill = fields_to_fill(lead, ai_fields)
    return facts, fill, ai_fields, input_hash(facts, fill, mode=mode)
