"""ingest_leads: the one way leads enter Fast Lead (widget, API, file import).

Valid items are stored in one transaction; invalid ones store nothing and come back with
their index and field errors. Identity (apps/leads/identity.py) decides created vs merged.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.leads.identity import identity_key, person_key
from apps.leads.ingestion import writer
from apps.leads.ingestion.schema import LeadIn, validate_item
from apps.leads.models import Customer, Lead, LeadList, Product, TimelineKind

CREATED, MERGED, REJECTED = "created", "merged", "rejected"
FILLABLE = ("name", "email", "phone", "company", "role", "industry", "company_size", "website")


@dataclass
class ItemResult:
    index: int
    status: str
    lead_id: int | None = None
    actions_added: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.status == REJECTED:
            data["errors"] = self.errors
        else:
            data["lead_id"] = self.lead_id
            data["actions_added"] = self.actions_added
        return data


@dataclass
class IngestOutcome:
    results: list[ItemResult]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def summary(self) -> dict[str, int]:
        return {
            "received": len(self.results),
            CREATED: self.count(CREATED),
            MERGED: self.count(MERGED),
            REJECTED: self.count(REJECTED),
        }


@dataclass
class _Pending:
    """A lead this batch will create, before it has an id."""

    row: dict[str, Any]
    lead_id: int | None = None


def ingest_leads(
    *,
    tenant,
    items: list[Any],
    source: str,
    actor=None,
    lead_list: LeadList | None = None,
    consent_source: str = "",
) -> IngestOutcome:
    """Validate and store submitted leads; returns a result for every item, in order."""
    results: list[ItemResult | None] = [None] * len(items)
    clean: list[tuple[int, LeadIn]] = []
    for index, raw in enumerate(items):
        item, errors = validate_item(raw)
        if errors:
            results[index] = ItemResult(index, REJECTED, errors=errors)
        else:
            clean.append((index, item))
    lists = _resolve_lists(tenant, clean, results)
    clean = [(i, item) for i, item in clean if results[i] is None]
    if clean:
        with transaction.atomic():
            writer.lock_tenant_ingestion(tenant)
            _store(
                tenant,
                clean,
                results,
                source=source,
                actor=actor,
                default_list=lead_list,
                lists=lists,
                consent_source=consent_source,
            )
    return IngestOutcome([r for r in results if r is not None])


def _resolve_lists(tenant, clean, results) -> dict[int, LeadList]:
    wanted = {item.list_id for _, item in clean if item.list_id is not None}
    found = {lst.pk: lst for lst in LeadList.objects.for_tenant(tenant).filter(pk__in=wanted)}
    for index, item in clean:
        if item.list_id is not None and item.list_id not in found:
            results[index] = ItemResult(index, REJECTED, errors={"list_id": [_("No such list.")]})
    return found


def _resolve_refs(model, tenant, refs: set[str]) -> dict[str, int]:
    """Customers/products by the tenant's own reference, created on first sight."""
    if not refs:
        return {}
    found = dict(
        model.objects.for_tenant(tenant)
        .filter(external_ref__in=refs)
        .values_list("external_ref", "pk")
    )
    missing = refs - found.keys()
    if missing:
        model.objects.bulk_create(
            [model(tenant=tenant, external_ref=ref, name=ref) for ref in sorted(missing)],
            ignore_conflicts=True,
        )
        found = dict(
            model.objects.for_tenant(tenant)
            .filter(external_ref__in=refs)
            .values_list("external_ref", "pk")
        )
    return found


def _store(tenant, clean, results, *, source, actor, default_list, lists, consent_source):
    customers = _resolve_refs(Customer, tenant, {i.customer_id for _, i in clean if i.customer_id})
    products = _resolve_refs(Product, tenant, {i.product_id for _, i in clean if i.product_id})
    keyed = []
    for index, item in clean:
        person = person_key(email=item.email, phone=item.phone, lead_ref=item.reference)
        ident = identity_key(
            person=person,
            customer_id=customers.get(item.customer_id),
            product_id=products.get(item.product_id),
        )
        keyed.append((index, item, person, ident))

    by_ref, by_identity, existing = writer.find_existing(
        tenant,
        refs={item.reference for _, item, _, _ in keyed if item.reference},
        identities={ident for *_, ident in keyed},
    )
    now = timezone.now()
    targets: dict[int, Any] = {}  # index -> existing lead id or a _Pending
    pending_by_identity: dict[str, _Pending] = {}
    pending_by_ref: dict[str, _Pending] = {}
    new_rows: list[_Pending] = []
    for index, item, person, ident in keyed:
        target = (
            (by_ref.get(item.reference) if item.reference else None)
            or by_identity.get(ident)
            or (pending_by_ref.get(item.reference) if item.reference else None)
            or pending_by_identity.get(ident)
        )
        if target is None:
            pending = _Pending(
                _lead_row(
                    tenant,
                    item,
                    person,
                    ident,
                    source,
                    now,
                    lists.get(item.list_id) or default_list,
                    customers.get(item.customer_id),
                    products.get(item.product_id),
                    consent_source,
                )
            )
            new_rows.append(pending)
            pending_by_identity[ident] = pending
            if item.reference:
                pending_by_ref[item.reference] = pending
            results[index] = ItemResult(index, CREATED)
            target = pending
        else:
            results[index] = ItemResult(index, MERGED)
        targets[index] = target

    ids = writer.insert_leads([p.row for p in new_rows])
    for pending, lead_id in zip(new_rows, ids, strict=True):
        pending.lead_id = lead_id

    lead_of = {index: (t.lead_id if isinstance(t, _Pending) else t) for index, t in targets.items()}
    merged_ids = {lead_of[i] for i, _, _, _ in keyed if results[i].status == MERGED}
    _fill_blanks(existing, merged_ids, keyed, results, lead_of)
    added = _store_actions(tenant, keyed, lead_of, merged_ids, source, now)
    timeline = []
    for index, *_rest in keyed:
        result = results[index]
        result.lead_id = lead_of[index]
        result.actions_added = added.get(index, 0)
        kind = TimelineKind.CREATED if result.status == CREATED else TimelineKind.MERGED
        timeline.append(
            {
                "tenant_id": tenant.pk,
                "lead_id": result.lead_id,
                "kind": kind,
                "actor_id": getattr(actor, "pk", None),
                "body": "",
                "data": {"source": source, "actions_added": result.actions_added},
                "created_at": now,
            }
        )
    writer.insert_timeline(timeline)


def _lead_row(
    tenant,
    item: LeadIn,
    person,
    ident,
    source,
    now,
    lead_list,
    customer_id,
    product_id,
    consent_source,
) -> dict[str, Any]:
    consent = item.consent
    return {
        "tenant_id": tenant.pk,
        "person_key": person,
        "identity_key": ident,
        "external_id": item.reference,
        "name": item.name,
        "email": item.email,
        "phone": item.phone,
        "company": item.company,
        "role": item.role,
        "industry": item.industry,
        "company_size": item.company_size,
        "website": item.website,
        "status": "new",
        "source": item.source or source,
        "lead_type": item.lead_type,
        "product_id": product_id,
        "customer_id": customer_id,
        "list_id": lead_list.pk if lead_list else None,
        "assigned_to_id": None,
        "consent_processing": bool(consent and consent.processing),
        "consent_processing_at": now if consent and consent.processing else None,
        "consent_marketing": bool(consent and consent.marketing),
        "consent_marketing_at": now if consent and consent.marketing else None,
        "consent_source": consent_source if consent else "",
        "created_at": item.created_at or now,
        "updated_at": now,
    }


def _fill_blanks(existing: dict[int, dict], merged_ids, keyed, results, lead_of) -> None:
    """A merge fills the lead's empty person fields; it never overwrites what is there."""
    changes: dict[int, dict[str, str]] = defaultdict(dict)
    for index, item, _person, _ident in keyed:
        lead_id = lead_of[index]
        if results[index].status != MERGED or lead_id not in existing:
            continue
        current = existing[lead_id]
        for name in FILLABLE:
            value = getattr(item, name)
            if value and not current.get(name) and name not in changes[lead_id]:
                changes[lead_id][name] = value
    for lead_id, fields in changes.items():
        if fields:
            Lead.objects.unscoped().filter(pk=lead_id).update(**fields, updated_at=timezone.now())


def _store_actions(tenant, keyed, lead_of, merged_ids, source, now) -> dict[int, int]:
    seen = writer.existing_action_keys(merged_ids)
    rows, added = [], defaultdict(int)
    for index, item, _person, _ident in keyed:
        lead_id = lead_of[index]
        for action in item.actions:
            key = (lead_id, action.action_type, action.engagement_level, action.timestamp)
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "tenant_id": tenant.pk,
                    "lead_id": lead_id,
                    "action_type": action.action_type,
                    "engagement_level": action.engagement_level,
                    "occurred_at": action.timestamp,
                    "channel": action.channel or item.source or source,
                    "metadata": action.metadata,
                    "created_at": now,
                }
            )
            added[index] += 1
    writer.insert_actions(rows)
    return added
