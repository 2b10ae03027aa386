"""Writing one enrichment result to its lead.

Policy (documented in the README): enrichment fills fields that are blank, and may refresh a
value an earlier enrichment wrote as long as nobody changed it since; a value typed by hand
(`Lead.manual_fields`) or that arrived with the lead (form, import, API) is never overwritten.
A field the model could not determine is stored as "not determined" (`Lead.not_determined`
{field: run id}) when the lead has no value for it — never a guess; an earlier AI value is kept
rather than blanked by a weaker answer. Each change goes to the lead's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from apps.enrichment.prompt import EnrichmentOutput
from apps.enrichment.services.hashing import LEAD_FIELDS, OUTPUT_TO_LEAD, fields_to_fill
from apps.leads.models import Lead, TimelineEntry, TimelineKind


@dataclass
class Applied:
    changes: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {from, to}
    applied: list[str] = field(default_factory=list)  # written (or confirmed) by this result
    not_determined: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the lead had them: left as they were
    updated: set[str] = field(default_factory=set)  # the lead's columns to save

    @property
    def new_fields(self) -> list[str]:
        """The fields this result determined anew (what a lead is paid for)."""
        return list(self.changes)


def result_fields(output: EnrichmentOutput) -> dict[str, str | None]:
    """The model's answer by lead column; None = not determined."""
    known = output.determined_values()
    return {OUTPUT_TO_LEAD[name]: known.get(name) for name in OUTPUT_TO_LEAD}


def _lead_values(lead: Lead) -> dict:
    return {
        **{name: getattr(lead, name) for name in LEAD_FIELDS},
        "manual_fields": lead.manual_fields or [],
    }


def lead_enrichment_plan(
    lead: Lead, values: dict[str, str | None], *, ai_fields: set[str], run_id
) -> Applied:
    """What `values` (by lead column, None = not determined) would change on `lead` under the
    policy above; sets the new values on the (locked, unsaved) instance only. A field the lead
    already has (typed, imported, or not to be refreshed) is *kept*, never "not determined"."""
    result = Applied()
    not_determined = dict(lead.not_determined or {})
    fill = fields_to_fill(_lead_values(lead), ai_fields)
    result.kept = [name for name in LEAD_FIELDS if name not in fill]
    for name in fill:
        value = (values.get(name) or "").strip()
        current = getattr(lead, name) or ""
        if value:
            value = value[: Lead._meta.get_field(name).max_length or len(value)]
            result.applied.append(name)
            if value != current:
                result.changes[name] = {"from": current, "to": value}
                setattr(lead, name, value)
                result.updated.add(name)
            if not_determined.pop(name, None) is not None:
                result.updated.add("not_determined")
        elif current.strip():
            result.kept.append(name)  # an earlier AI value stays rather than being blanked
        else:
            result.not_determined.append(name)
            if not_determined.get(name) != str(run_id):
                not_determined[name] = str(run_id)
                result.updated.add("not_determined")
    lead.not_determined = not_determined
    return result


def lead_enrichment_save(lead: Lead, applied: Applied) -> None:
    """Save what `lead_enrichment_plan` set on the lead (nothing when nothing changed)."""
    if applied.updated:
        lead.save(update_fields=[*sorted(applied.updated), "updated_at"])


def lead_enrichment_apply(
    lead: Lead, values: dict[str, str | None], *, ai_fields: set[str], run_id
) -> Applied:
    """Write `values` to `lead` (locked by the caller) under the policy above; saves the lead
    when something changed."""
    applied = lead_enrichment_plan(lead, values, ai_fields=ai_fields, run_id=run_id)
    lead_enrichment_save(lead, applied)
    return applied


def timeline_record(lead: Lead, applied: Applied, *, run, actor_id=None) -> TimelineEntry:
    """The lead's timeline entry for one enrichment: what changed, what stays unknown."""
    parts = []
    if applied.changes:
        parts.append(_("Filled: %(fields)s") % {"fields": ", ".join(applied.changes)})
    if applied.not_determined:
        parts.append(
            _("not determined: %(fields)s") % {"fields": ", ".join(applied.not_determined)}
        )
    if not parts:
        parts.append(_("Nothing new was found."))
    if run.offline:
        parts.append(_("offline heuristic"))
    return TimelineEntry.objects.create(
        tenant_id=lead.tenant_id,
        lead=lead,
        kind=TimelineKind.ENRICHED,
        actor_id=actor_id,
        body=" · ".join(parts),
        data={
            "run_id": str(run.pk),
            "changes": applied.changes,
            "not_determined": applied.not_determined,
            "offline": run.offline,
        },
    )
