"""Reports computed in memory from seed-002-shaped JSON (the `billing_report --input` path).

The leads are checked by the ingestion's own validation and identified by the identity rule
(apps/leads/identity.py), exactly as `ingest_leads` would store them: the same person for the
same customer and product is one lead, a repeated action (same lead, type, level and time) is
stored once, and ids follow the order of the file. So the bill printed here is the bill the
database would give for the same file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from apps.leads.identity import identity_key, person_key
from apps.leads.ingestion.schema import validate_item
from apps.leads.models import Customer, Product
from apps.payperlead import engine, services
from apps.payperlead.models import DEFAULT_CARD, EPOCH, month_bounds


def default_book() -> engine.CardBook:
    """The card a new tenant starts with (models.DEFAULT_CARD)."""
    return engine.CardBook(
        [
            engine.Card(
                id=None,
                version=1,
                customer_id=None,
                lead_type="",
                valid_from=EPOCH,
                valid_to=None,
                currency=DEFAULT_CARD["currency"],
                values={
                    "High": DEFAULT_CARD["value_high"],
                    "Medium": DEFAULT_CARD["value_medium"],
                    "Low": DEFAULT_CARD["value_low"],
                },
                cap=DEFAULT_CARD["cap"],
            )
        ]
    )


@dataclass
class Dataset:
    """Leads and actions read from JSON, numbered as ingestion would number them."""

    customers: dict[int, Customer] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    leads: dict[int, SimpleNamespace] = field(default_factory=dict)
    rows: list[tuple] = field(default_factory=list)
    rejected: list[tuple[int, dict]] = field(default_factory=list)
    without_customer: int = 0


def load(items: list) -> Dataset:
    data = Dataset()
    customer_ids: dict[str, int] = {}
    product_ids: dict[str, int] = {}
    by_identity: dict[str, int] = {}
    by_ref: dict[str, int] = {}
    seen_actions: set[tuple] = set()
    for index, raw in enumerate(items):
        item, errors = validate_item(raw)
        if errors:
            data.rejected.append((index, errors))
            continue
        customer_id = _ref_id(item.customer_id, customer_ids, data.customers, Customer)
        product_id = _ref_id(item.product_id, product_ids, data.products, Product)
        person = person_key(email=item.email, phone=item.phone, lead_ref=item.reference)
        ident = identity_key(person=person, customer_id=customer_id, product_id=product_id)
        # As ingestion matches: by the submitted lead id first, then by identity.
        lead_id = (by_ref.get(item.reference) if item.reference else None) or by_identity.get(ident)
        if lead_id is None:
            lead_id = len(data.leads) + 1
            by_identity[ident] = lead_id
            if item.reference:
                by_ref[item.reference] = lead_id
            data.leads[lead_id] = SimpleNamespace(
                pk=lead_id,
                external_id=item.reference,
                name=item.name,
                lead_type=item.lead_type,
                customer_id=customer_id,
                product_id=product_id,
                person_key=person,
            )
        lead = data.leads[lead_id]
        if lead.customer_id is None:
            data.without_customer += 1
            continue
        for action in item.actions:
            key = (lead_id, action.action_type, action.engagement_level, action.timestamp)
            if key in seen_actions:
                continue
            seen_actions.add(key)
            data.rows.append(
                (
                    len(seen_actions),
                    lead_id,
                    lead.customer_id,
                    lead.product_id,
                    lead.person_key,
                    lead.lead_type,
                    action.action_type,
                    action.engagement_level,
                    action.timestamp,
                )
            )
    return data


def _ref_id(ref, ids: dict, objects: dict, model) -> int | None:
    if not ref:
        return None
    if ref not in ids:
        ids[ref] = len(ids) + 1
        objects[ids[ref]] = model(pk=ids[ref], external_ref=ref, name=ref)
    return ids[ref]


def reports(data: Dataset, period: date, customer_ref: str | None = None, book=None):
    """Every customer's report (or one's) for `period`, with lines, computed in memory."""
    book = book or default_book()
    start, end = month_bounds(period)
    rows = [row for row in data.rows if start <= row[8] < end]
    rows.sort(key=lambda r: (r[2], r[3] or 0, r[4], r[8], r[0]))
    valuation = engine.valuate(rows, book)
    valuation.check_currency()
    empty = engine.Valuation()
    wanted = {pk: c for pk, c in data.customers.items() if customer_ref in (None, c.external_ref)}
    out = []
    for customer_id, customer in sorted(wanted.items(), key=lambda kv: kv[1].external_ref):
        if not any(cid == customer_id for cid, _p in valuation.totals):
            if customer_ref is None:
                continue
            record = services.BillingReport(period=period, currency=DEFAULT_CARD["currency"])
        else:
            record = services.build_record(period, customer_id, valuation, empty, data.products)
        record.customer = customer
        lines = [ln for ln in valuation.lines if ln.customer_id == customer_id]
        out.append(
            services.Report(record=record, customer=customer, lines=lines, products=data.products)
        )
    return out
