"""ingest_leads: the one way leads enter Fast Lead (widget, API, file import).

Valid items are stored in one transaction; invalid ones store nothing and come back with
their index and field errors. Identity (apps/leads/identity.py) decides created vs merged.

This is the bulk hot path (10,000 leads a request): rows are built as tuples in the writer's
column order, the cyclic garbage collector is paused for the batch (its full scans over the
batch's many small objects cost more than the validation itself) and every table is written
in one statement.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.billing.quotas import (
    QuotaDecision,
    lead_quota_release,
    lead_quota_reservation,
    lead_quota_reserve,
    lead_quota_settle,
    quota_exceeded_error,
)
from apps.core.events import emit
from apps.leads.events import (
    CREATED_AT_LISTED,
    CustomerActionsRecorded,
    LeadsCreated,
    LeadsMerged,
)
from apps.leads.identity import identity_key, person_key
from apps.leads.ingestion import writer
from apps.leads.ingestion.schema import LeadIn, refresh_latest, validate_item
from apps.leads.models import Customer, LeadList, LeadStatus, Product, TimelineKind

CREATED, MERGED, REJECTED = "created", "merged", "rejected"
_CREATED_AT = 1 + writer.LEAD_COLUMNS.index("created_at")  # in a new row (id first)
FILLABLE = writer.FILL_FIELDS


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
    quota_error: Any = None  # set when the plan's lead limit refused some new leads

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
class _Context:
    tenant: Any
    source: str
    actor_id: int | None
    default_list_id: int | None
    consent_source: str
    now: Any
    durable: bool = True
    entitlements: Any = None
    count_quota: bool = True
    quota_decision: Any = None  # the last lead-quota reservation (single leads: its error)
    customer_months: set = field(default_factory=set)  # months of actions of customers' leads
    created_at: set = field(default_factory=set)  # created_at of the new leads written


@contextmanager
def _gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def ingest_leads(
    *,
    tenant,
    items: list[Any],
    source: str,
    actor=None,
    lead_list: LeadList | None = None,
    consent_source: str = "",
    durable: bool = True,
    entitlements=None,
    count_quota: bool = True,
) -> IngestOutcome:
    """Validate and store submitted leads; returns a result for every item, in order.

    New leads count against the plan's lead quota (apps/billing/quotas.py); on a hard limit
    the leads beyond it are rejected with the reason (`outcome.quota_error`), merges are
    never refused. `entitlements`: a snapshot the caller already read. `count_quota=False`
    is for data the platform itself loads (demo data), never for a tenant's submissions.

    `durable=False` (the public widget) lets PostgreSQL acknowledge the commit before its WAL
    is flushed to disk (synchronous_commit off for this transaction only): nothing can be
    half-written or inconsistent, but a crash of the database server itself within a fraction
    of a second after the answer could lose that submission. Under disk load the flush is
    most of a submission's time, and the tenant's ingestion lock is held through it.
    """
    refresh_latest()
    with _gc_paused():
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
        outcome = IngestOutcome(results)
        if clean:
            context = _Context(
                tenant=tenant,
                source=source,
                actor_id=None
                if getattr(actor, "is_api_key", False)
                else getattr(actor, "pk", None),
                default_list_id=lead_list.pk if lead_list else None,
                consent_source=consent_source[:200],
                now=timezone.now(),
                durable=durable,
                entitlements=entitlements,
                count_quota=count_quota,
            )
            with transaction.atomic():
                _store(context, clean, results, lists)
                # Inside the transaction: in-transaction subscribers (privacy's consent
                # records) are written with the leads; the others run after commit.
                _announce(tenant, source, results, context.created_at)
            if context.quota_decision is not None and context.quota_decision.refused:
                outcome.quota_error = quota_exceeded_error(context.quota_decision)
    return outcome


def _announce(tenant, source: str, results: list[ItemResult], created_at) -> None:
    created = tuple(r.lead_id for r in results if r and r.status == CREATED)
    if created:
        emit(
            LeadsCreated(
                tenant_id=str(tenant.pk),
                source=source,
                lead_ids=created,
                created_at=_created_moments(created_at),
            )
        )
    merged = sorted(
        {r.lead_id for r in results if r and r.status == MERGED and r.lead_id} - set(created)
    )
    if merged:
        emit(LeadsMerged(tenant_id=str(tenant.pk), source=source, lead_ids=tuple(merged)))


def _created_moments(moments) -> tuple[str, ...]:
    """`LeadsCreated.created_at`: distinct quarter hours (UTC), or () when too many."""
    quarters = set()
    for moment in moments:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, UTC)
        at = moment.astimezone(UTC)
        quarters.add(at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0))
    if len(quarters) > CREATED_AT_LISTED:
        return ()
    return tuple(sorted(q.isoformat() for q in quarters))


def _resolve_lists(tenant, clean, results) -> dict[int, int]:
    wanted = {item.list_id for _, item in clean if item.list_id is not None}
    if not wanted:
        return {}
    found = set(
        LeadList.objects.for_tenant(tenant).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    for index, item in clean:
        if item.list_id is not None and item.list_id not in found:
            results[index] = ItemResult(index, REJECTED, errors={"list_id": [_("No such list.")]})
    return {pk: pk for pk in found}


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


def _store(ctx: _Context, clean, results, lists) -> None:
    customers = _resolve_refs(
        Customer, ctx.tenant, {i.customer_id for _, i in clean if i.customer_id}
    )
    products = _resolve_refs(Product, ctx.tenant, {i.product_id for _, i in clean if i.product_id})
    keyed = []
    for index, item in clean:
        customer_id = customers.get(item.customer_id)
        product_id = products.get(item.product_id)
        person = person_key(email=item.email, phone=item.phone, lead_ref=item.reference)
        ident = identity_key(person=person, customer_id=customer_id, product_id=product_id)
        keyed.append((index, item, person, ident, customer_id, product_id))
    # A single submission (the widget) runs beside others and settles a race for the same
    # person on the unique constraints: if another one created the lead first, merge into it.
    single = len(keyed) == 1
    written = _write(ctx, keyed, results, lists, single)
    if written is None:  # lost the race: the lead exists now, committed — merge into it
        results[keyed[0][0]] = None
        written = _write(ctx, keyed, results, lists, single)
    if written is None:
        raise RuntimeError("a lead was taken twice in a row; cannot settle its identity")
    real_id, lead_of, added = written
    for index, *_rest in keyed:
        if index not in lead_of:  # refused by the lead quota
            continue
        result = results[index]
        if result is None:
            result = results[index] = ItemResult(index, CREATED)
        result.lead_id = real_id(lead_of[index])
        result.actions_added = added.get(index, 0)
    if ctx.customer_months:
        # Pay-per-lead values customers' actions: tell it which months changed (after commit).
        months = tuple(sorted(f"{m:%Y-%m-%d}" for m in ctx.customer_months))
        emit(CustomerActionsRecorded(tenant_id=str(ctx.tenant.pk), months=months))


def _write(ctx: _Context, keyed, results, lists, single: bool):
    """Find, match and write; (id mapping, item → lead id, actions added) or None when a
    single submission lost the race for its new lead (the caller retries: it merges)."""
    # One round trip: the tenant's ingestion lock, ids for as many leads as could be new, the
    # leads these items may merge into and (a single submission) its quota reservation.
    pending = _quota_pending(ctx, len(keyed)) if single else None
    reserved, by_ref, by_identity, existing, reservation_row = writer.lock_and_find(
        ctx.tenant,
        count=len(keyed),
        refs={k[1].reference for k in keyed if k[1].reference},
        identities={k[3] for k in keyed},
        durable=ctx.durable,
        shared=single,
        also=(pending.sql, pending.params) if pending else None,
    )
    lead_of, new_rows = _match(ctx, keyed, results, by_ref, by_identity, lists, reserved)
    decision = _reserve_quota(ctx, len(new_rows), pending, reservation_row)
    if decision.refused:
        new_rows, keyed = _refuse(new_rows, keyed, lead_of, results, decision)
    merged_ids = {lead_id for lead_id in lead_of.values() if lead_id in existing}
    _fill_blanks(keyed, results, lead_of, existing, ctx.now)
    actions, added = _action_rows(ctx, keyed, lead_of, merged_ids)
    _note_customer_months(ctx, keyed, lead_of, merged_ids, actions)
    timeline = _timeline_rows(ctx, keyed, results, lead_of, added)
    real_id = writer.write_batch(new_rows, actions, timeline, concurrent=single)
    if real_id is None:  # lost the race: nothing was created, give the reservation back
        if ctx.count_quota:
            _release_quota(ctx, decision.allowed)
        return None
    ctx.created_at = {row[_CREATED_AT] for row in new_rows}
    return real_id, lead_of, added


def _note_customer_months(ctx: _Context, keyed, lead_of, merged_ids, actions) -> None:
    """The months of the actions added to leads of a customer (or to existing leads, whose
    customer the item may not name)."""
    if not actions:
        return
    billed = {lead_of[k[0]] for k in keyed if k[4] is not None and k[0] in lead_of}
    billed |= merged_ids
    for row in actions:
        if row[1] in billed:
            at = row[4].astimezone(UTC)
            ctx.customer_months.add(date(at.year, at.month, 1))


def _quota_pending(ctx: _Context, count: int):
    """A single submission's reservation, to travel with the lock-and-find (PostgreSQL): it
    reserves before knowing whether the item merges, and gives the lead back if it does."""
    if not ctx.count_quota or not writer.sends_together():
        return None
    return lead_quota_reservation(ctx.tenant, count, entitlements=ctx.entitlements)


def _reserve_quota(ctx: _Context, count: int, pending=None, row=None):
    """Reserve `count` new leads on the plan's lead quota (inside this transaction: a
    rollback gives them back); with `pending`, settle the reservation already sent."""
    if not ctx.count_quota:
        return QuotaDecision(allowed=count, refused=0)
    if pending is not None:
        ctx.quota_decision = lead_quota_settle(pending, row, needed=count)
    else:
        ctx.quota_decision = lead_quota_reserve(ctx.tenant, count, entitlements=ctx.entitlements)
    return ctx.quota_decision


def _release_quota(ctx: _Context, count: int) -> None:
    lead_quota_release(ctx.tenant, count)


def _refuse(new_rows, keyed, lead_of, results, decision):
    """Keep the first `allowed` new leads; the items that would create (or merge into) the
    others are rejected with the quota's message."""
    refused_ids = {row[0] for row in new_rows[decision.allowed :]}
    message = quota_exceeded_error(decision).message
    for index, *_rest in keyed:
        if lead_of[index] in refused_ids:
            results[index] = ItemResult(index, REJECTED, errors={"non_field_errors": [message]})
            del lead_of[index]
    return new_rows[: decision.allowed], [k for k in keyed if k[0] in lead_of]


def _match(ctx, keyed, results, by_ref, by_identity, lists, reserved):
    """Decide created vs merged for each item; build the rows (id first) of new leads.

    A new lead takes the next reserved id (PostgreSQL) or a placeholder -1, -2, … that the
    writer replaces once the database has numbered it (SQLite).
    """
    pending_by_ref: dict[str, int] = {}
    pending_by_identity: dict[str, int] = {}
    lead_of: dict[int, int] = {}
    new_rows: list[tuple] = []
    for index, item, person, ident, customer_id, product_id in keyed:
        ref = item.reference
        target = (
            (by_ref.get(ref) if ref else None)
            or by_identity.get(ident)
            or (pending_by_ref.get(ref) if ref else None)
            or pending_by_identity.get(ident)
        )
        if target is None:
            target = reserved[len(new_rows)] if reserved else -(len(new_rows) + 1)
            new_rows.append(
                (target, *_lead_row(ctx, item, person, ident, lists, customer_id, product_id))
            )
            pending_by_identity[ident] = target
            if ref:
                pending_by_ref[ref] = target
        else:
            results[index] = ItemResult(index, MERGED)  # results[i] unset means "created"
        lead_of[index] = target
    return lead_of, new_rows


def _lead_row(ctx: _Context, item: LeadIn, person, ident, lists, customer_id, product_id) -> tuple:
    consent = item.consent
    processing = bool(consent and consent.processing)
    marketing = bool(consent and consent.marketing)
    list_id = lists.get(item.list_id) if item.list_id is not None else ctx.default_list_id
    now = ctx.now
    return (
        ctx.tenant.pk,
        person,
        ident,
        item.reference,
        item.name,
        item.email,
        item.phone,
        item.company,
        item.role,
        item.industry,
        item.company_size,
        item.website,
        LeadStatus.NEW.value,
        item.source or ctx.source,
        item.lead_type,
        product_id,
        customer_id,
        list_id,
        None,
        processing,
        now if processing else None,
        marketing,
        now if marketing else None,
        ctx.consent_source if consent else "",
        [],
        item.created_at or now,
        now,
    )


def _fill_blanks(keyed, results, lead_of, existing, now) -> None:
    """A merge fills the lead's empty person fields; it never overwrites what is there, nor
    a field someone set by hand (even to blank)."""
    changes: dict[int, dict[str, str]] = {}
    for index, item, *_rest in keyed:
        lead_id = lead_of[index]
        current = existing.get(lead_id)
        if results[index] is None or current is None:
            continue
        manual = current["manual_fields"]
        for name in FILLABLE:
            value = getattr(item, name)
            if value and not current[name] and name not in manual:
                changes.setdefault(lead_id, {})[name] = value
                current[name] = value
    writer.update_leads(changes, now)


def _action_rows(ctx: _Context, keyed, lead_of, merged_ids):
    """Rows of the actions to add (an action the lead already has is skipped) and how many
    each item added."""
    seen = writer.existing_action_keys(merged_ids)
    rows, added = [], {}
    tenant_id, now = ctx.tenant.pk, ctx.now
    for index, item, *_rest in keyed:
        if not item.actions:
            continue
        lead_id = lead_of[index]
        default_channel = item.source or ctx.source
        count = 0
        for action in item.actions:
            key = (lead_id, action.action_type, action.engagement_level, action.timestamp)
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                (
                    tenant_id,
                    lead_id,
                    action.action_type,
                    action.engagement_level,
                    action.timestamp,
                    action.channel or default_channel,
                    action.metadata,
                    now,
                )
            )
            count += 1
        if count:
            added[index] = count
    return rows, added


def _timeline_rows(ctx: _Context, keyed, results, lead_of, added) -> list[tuple]:
    """One timeline row per item (created or merged), plus its message, if any."""
    rows = []
    tenant_id, actor_id, now, source = ctx.tenant.pk, ctx.actor_id, ctx.now, ctx.source
    created, merged = TimelineKind.CREATED.value, TimelineKind.MERGED.value
    for index, item, *_rest in keyed:
        lead_id = lead_of[index]
        kind = created if results[index] is None else merged
        data = {"source": item.source or source, "actions_added": added.get(index, 0)}
        rows.append((tenant_id, lead_id, kind, actor_id, "", data, now))
        if item.message:
            rows.append(
                (tenant_id, lead_id, TimelineKind.MESSAGE_IN.value, None, item.message, {}, now)
            )
    return rows
