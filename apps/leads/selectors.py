"""Every non-trivial read of leads, lists, customers, products and exports. Tenant first.

Lists of leads are read with keyset (cursor) pagination over the ordering's index — no
COUNT(*) and no OFFSET, so a page costs the same on the millionth lead as on the first — and
in one query (related rows joined), so the number of queries never grows with the page.
"""

from __future__ import annotations

import base64
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Func, Lookup, Q, QuerySet, TextField, Value
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from apps.core.errors import ObjectNotFound, ValidationFailed
from apps.leads.filters import DEFAULT_ORDERING, ORDERINGS
from apps.leads.models import (
    Customer,
    Lead,
    LeadAction,
    LeadExport,
    LeadList,
    Product,
    TimelineEntry,
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
DETAIL_ACTIONS = 200
DETAIL_TIMELINE = 200
LIST_RELATED = ("product", "customer", "list", "assigned_to")


# --- free-text search ---------------------------------------------------------------------


class _SearchText(Func):
    """name || ' ' || email || ' ' || phone || ' ' || company — exactly the expression of the
    pg_trgm GIN index (migration 0003_search_trgm), so PostgreSQL can use it."""

    template = "(%(expressions)s)"
    arg_joiner = " || ' ' || "
    output_field = TextField()


class _ILikeContains(Lookup):
    lookup_name = "fl_ilike_contains"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]
        return f"{lhs} LIKE {rhs} ESCAPE '\\'", [*lhs_params, *rhs_params]


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_term(q: str) -> str:
    """Phone-looking input is matched by its digits (+7 916 123-45-67 → 79161234567)."""
    stripped = q.strip()
    if stripped and all(ch.isdigit() or ch in " +-()." for ch in stripped):
        digits = "".join(ch for ch in stripped if ch.isdigit())
        if len(digits) == 11 and digits.startswith("8"):
            digits = "7" + digits[1:]  # Russian trunk prefix: 8 916… is +7 916…
        if len(digits) >= 3:
            return digits
    return stripped


# Under this many characters a search matches the start of a field: trigrams need three, and
# "contains 'zz'" could only be answered by reading every lead of the tenant.
PREFIX_BELOW = 3
SEARCH_FIELDS = ("name", "email", "phone", "company")


class _WordsVector(Func):
    """to_tsvector('<config>', name || ' ' || company) — exactly the expressions of the GIN
    indexes of migration 0013_search_fulltext (one per configuration)."""

    template = "to_tsvector('%(config)s'::regconfig, (%(expressions)s))"
    arg_joiner = " || ' ' || "
    output_field = TextField()


class _WordsMatch(Lookup):
    """`vector @@ plainto_tsquery('<config>', term)`: every word of the term, in any form."""

    lookup_name = "fl_words_match"

    def __init__(self, lhs, rhs, config: str):
        super().__init__(lhs, rhs)
        self.config = config

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        query = f"plainto_tsquery('{self.config}'::regconfig, {rhs})"
        return f"{lhs} @@ {query}", [*lhs_params, *rhs_params]


# Text-search configurations of the full-text indexes (fixed names, inlined into the SQL).
WORD_CONFIGS = ("russian", "english")


def _words_condition(term: str) -> Q:
    """The term's words in the name or company, in Russian or English word forms."""
    condition = Q()
    for config in WORD_CONFIGS:
        vector = _WordsVector(F("name"), F("company"), config=config)
        condition |= Q(_WordsMatch(vector, Value(term), config))
    return condition


def _is_words(term: str) -> bool:
    """Letters and spaces only: what a person types to find a name or a company."""
    return any(ch.isalpha() for ch in term) and all(ch.isalpha() or ch in " -'" for ch in term)


def search_condition(q: str, tenant=None) -> Lookup | Q:
    """Three characters and more: anywhere in name, e-mail, phone or company (pg_trgm index);
    on PostgreSQL, words that no lead of `tenant` contains as typed are looked for in any
    Russian or English form in the name or company (full-text GIN indexes). One or two
    characters: the start of one of the fields (btree indexes of migration 0010)."""
    return search_plan(q, tenant)[0]


def search_plan(q: str, tenant=None) -> tuple[Q, bool]:
    """(condition, by word forms?). Word forms are looked for only when the text itself is
    found nowhere: with both in one OR, PostgreSQL cannot estimate the full-text side and
    walks every lead by date to fill a page."""
    term = _search_term(q)
    if len(term) < PREFIX_BELOW:
        return _prefix_condition(term), False
    contains = _contains_condition(term)
    if tenant is None or not _word_forms_possible(term) or _found_as_typed(tenant, contains):
        return contains, False
    return _words_condition(term), True


def _contains_condition(term: str) -> Q:
    text = _SearchText(F("name"), F("email"), F("phone"), F("company"))
    return Q(_ILikeContains(text, Value(_like_pattern(term))))


def _word_forms_possible(term: str) -> bool:
    return connection.vendor == "postgresql" and len(term) >= PREFIX_BELOW and _is_words(term)


def _found_as_typed(tenant, contains: Q) -> bool:
    """Does any lead contain the text? Through the trigram index's bitmap: under LIMIT 1 the
    planner would rather read every lead hoping to meet one early."""
    with bitmap_scans():
        return Lead.objects.for_tenant(tenant).filter(contains).exists()


@contextmanager
def bitmap_scans():
    """Read through bitmap scans only (for a word-form search): the planner's guess of how
    many leads match a full-text query cannot be trusted, and a guess too high walks the
    whole tenant by date, computing every lead's words, to fill one page. Transactional:
    undone with the block."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
        yield
        cursor.execute("SET LOCAL enable_indexscan = on")


def _prefix_condition(term: str) -> Q:
    condition = Q()
    for field in SEARCH_FIELDS:
        condition |= Q(**{f"{field}__istartswith": term})
    return condition


# --- filters ------------------------------------------------------------------------------


def _ref_subquery(model, tenant, ref: str) -> QuerySet:
    condition = Q(external_ref=ref)
    if ref.isdigit():
        condition |= Q(pk=int(ref))
    return model.objects.for_tenant(tenant).filter(condition).values("pk")


def lead_filter(tenant, filters: dict[str, Any] | None = None, *, search=None) -> QuerySet:
    """The tenant's leads matching `filters` (see apps/leads/filters.py), in their ordering
    (`search`: the search condition when the caller already planned it)."""
    filters = filters or {}
    query = Lead.objects.for_tenant(tenant).filter(held=False)  # held: waiting for quota
    if filters.get("status"):
        query = query.filter(status__in=filters["status"])
    if filters.get("source"):
        query = query.filter(source__in=filters["source"])
    if "list" in filters:
        ref = filters["list"]
        query = query.filter(list__isnull=True) if ref == "none" else query.filter(list_id=ref)
    if filters.get("lead_type"):
        query = query.filter(lead_type=filters["lead_type"])
    if filters.get("customer"):
        query = query.filter(customer_id__in=_ref_subquery(Customer, tenant, filters["customer"]))
    if filters.get("product"):
        query = query.filter(product_id__in=_ref_subquery(Product, tenant, filters["product"]))
    if filters.get("created_from"):
        query = query.filter(created_at__gte=filters["created_from"])
    if filters.get("created_to"):
        query = query.filter(created_at__lte=filters["created_to"])
    if "assigned" in filters:
        ref = filters["assigned"]
        query = (
            query.filter(assigned_to__isnull=True)
            if ref == "none"
            else query.filter(assigned_to_id=ref)
        )
    if filters.get("q"):
        query = query.filter(
            search if search is not None else search_condition(filters["q"], tenant)
        )
    keys = ORDERINGS[filters.get("ordering") or DEFAULT_ORDERING]
    return query.order_by(*[f"-{name}" if desc else name for name, desc in keys])


# --- keyset pagination --------------------------------------------------------------------


@dataclass
class LeadPage:
    results: list[Lead]
    next_cursor: str | None
    previous_cursor: str | None


def _encode_cursor(values: list[Any], backwards: bool) -> str:
    payload = [
        1 if backwards else 0,
        [v.isoformat() if isinstance(v, datetime) else v for v in values],
    ]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, keys) -> tuple[list[Any], bool]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        backwards, values = json.loads(raw)
        if len(values) != len(keys):
            raise ValueError("length")
        out = []
        for (name, _desc), value in zip(keys, values, strict=True):
            if name == "created_at":
                value = parse_datetime(value)
                if value is None:
                    raise ValueError("date")
            elif name == "id" and not isinstance(value, int):
                raise ValueError("id")
            elif name != "id" and not isinstance(value, str):
                raise ValueError("text")
            out.append(value)
        return out, bool(backwards)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            _("The page cursor is invalid."), code="invalid_cursor", fields={"cursor": [str(exc)]}
        ) from None


class _Row(Func):
    template = "(%(expressions)s)"
    arg_joiner = ", "
    output_field = TextField()  # only ever compared, never selected


class _RowCompare(Lookup):
    """`(a, b, id) < (x, y, z)`: a row comparison, which PostgreSQL turns into one index range
    on (tenant, a, b…) — the equivalent OR-chain of `a < x OR (a = x AND …)` it cannot."""

    lookup_name = "fl_row_compare"

    def __init__(self, lhs, rhs, operator: str):
        super().__init__(lhs, rhs)
        self.operator = operator

    def get_prep_lookup(self):
        return self.rhs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = compiler.compile(self.lhs)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} {self.operator} {rhs}", [*lhs_params, *rhs_params]


def _after(keys, values, backwards: bool) -> _RowCompare:
    """Rows strictly after `values` in the ordering (before them when paging backwards).
    Every ordering sorts all its keys the same way, so one row comparison says it."""
    descending = keys[0][1]
    operator = "<" if descending != backwards else ">"
    fields = [F(name) for name, _desc in keys]
    return _RowCompare(_Row(*fields), _Row(*[Value(v) for v in values]), operator)


def _position(lead: Lead, keys) -> list[Any]:
    return [getattr(lead, name) for name, _desc in keys]


def _page_rows(tenant, filters, keys, after, limit: int, search) -> list[Lead]:
    if search is None and filters.get("q"):
        search = search_condition(filters["q"])  # the text as typed (no probe)
    query = lead_filter(tenant, filters, search=search).select_related(*LIST_RELATED)
    if after is not None:
        values, backwards = after
        query = query.filter(_after(keys, values, backwards))
        if backwards:
            query = query.reverse()
    return list(query[: limit + 1])


def lead_page(
    tenant, filters: dict[str, Any], *, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
) -> LeadPage:
    """One page of `lead_filter(tenant, filters)` with related rows joined: a single query."""
    keys = ORDERINGS[filters.get("ordering") or DEFAULT_ORDERING]
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    after = _decode_cursor(cursor, keys) if cursor else None
    backwards = bool(after and after[1])
    rows = _page_rows(tenant, filters, keys, after, limit, None)
    term = _search_term(filters.get("q") or "")
    # Nothing contains the text as typed: any form of its words, then (one more query, only
    # when the page came back empty).
    if (
        not rows
        and _word_forms_possible(term)
        and (after is None or not _found_as_typed(tenant, _contains_condition(term)))
    ):
        with bitmap_scans():
            rows = _page_rows(tenant, filters, keys, after, limit, _words_condition(term))
    has_more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    next_cursor = previous_cursor = None
    if rows:
        if has_more or backwards:
            next_cursor = _encode_cursor(_position(rows[-1], keys), False)
        if cursor and (has_more or not backwards):
            previous_cursor = _encode_cursor(_position(rows[0], keys), True)
    return LeadPage(rows, next_cursor, previous_cursor)


# --- single leads -------------------------------------------------------------------------


def lead_get(tenant, lead_id, *, for_update: bool = False) -> Lead:
    """A lead of the tenant by id; missing and foreign both raise ObjectNotFound (404)."""
    query = Lead.objects.for_tenant(tenant)
    query = query.select_for_update() if for_update else query.select_related(*LIST_RELATED)
    try:
        return query.get(pk=int(lead_id))
    except (Lead.DoesNotExist, TypeError, ValueError):
        raise ObjectNotFound() from None


def lead_detail(tenant, lead_id) -> Lead:
    """A lead with its latest actions and timeline (`lead.recent_actions`, `lead.recent_timeline`):
    three queries whatever the history's length."""
    lead = lead_get(tenant, lead_id)
    lead.recent_actions = list(
        LeadAction.objects.for_tenant(tenant)
        .filter(lead=lead)
        .order_by("-occurred_at", "-id")[:DETAIL_ACTIONS]
    )
    lead.recent_timeline = list(
        TimelineEntry.objects.for_tenant(tenant)
        .filter(lead=lead)
        .select_related("actor")
        .order_by("-created_at", "-id")[:DETAIL_TIMELINE]
    )
    return lead


# --- lists, customers, products, exports --------------------------------------------------


def leadlist_list(tenant) -> QuerySet:
    return LeadList.objects.for_tenant(tenant).order_by("name", "pk")


def leadlist_get(tenant, list_id) -> LeadList:
    try:
        return leadlist_list(tenant).get(pk=int(list_id))
    except (LeadList.DoesNotExist, TypeError, ValueError):
        raise ObjectNotFound() from None


def customers_list(tenant) -> QuerySet:
    return Customer.objects.for_tenant(tenant).order_by("name", "pk")


def products_list(tenant) -> QuerySet:
    return Product.objects.for_tenant(tenant).order_by("name", "pk")


def lead_exports(tenant) -> QuerySet:
    return LeadExport.objects.for_tenant(tenant).select_related("created_by").order_by("-pk")


def lead_export_get(tenant, export_id) -> LeadExport:
    try:
        return lead_exports(tenant).get(pk=int(export_id))
    except (LeadExport.DoesNotExist, TypeError, ValueError):
        raise ObjectNotFound() from None


def leads_created_between(tenant, start, end) -> int:
    """Leads of `tenant` created in [start, end) (billing's usage of unlimited plans)."""
    return (
        Lead.objects.for_tenant(tenant)
        .filter(created_at__gte=start, created_at__lt=end, held=False)
        .count()
    )


def leads_held_count(tenant) -> int:
    """Leads an inbound message created over the hard quota, waiting to be released ("N leads
    waiting — upgrade or wait for the next period")."""
    return Lead.objects.for_tenant(tenant).filter(held=True).count()


def hosted_submissions_count(tenant, source: str, refs: list[str]) -> dict[str, int]:
    """Widget submissions per hosted page (`{ref: count}`): the actions that a page hosted by
    Fast Lead recorded with its signed reference (source_tokens.py), e.g. HyroPage's
    conversions. Reads only leads of that source (the (tenant, source) index)."""
    key = f"{source}_ref"
    rows = (
        LeadAction.objects.for_tenant(tenant)
        .filter(lead__source=source, **{f"metadata__{key}__in": [str(r) for r in refs]})
        .values_list(f"metadata__{key}", flat=True)
    )
    counts: dict[str, int] = {}
    for ref in rows:
        counts[str(ref)] = counts.get(str(ref), 0) + 1
    return counts
