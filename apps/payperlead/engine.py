"""The pay-per-lead valuation: pure functions over ordered actions (no database, no Django).

Rules (docs/pay-per-lead.md):

* A **group** is one person (``Lead.person_key``) for one customer and one product in one billing
  period (calendar month, UTC). Duplicates and the cap are judged inside a group only.
* Actions are evaluated in a fixed order: by ``occurred_at``, then by action id. Callers feed
  rows in that order (globally, or at least within each group); the result does not depend on
  how or when the actions were ingested.
* The **value** of an action comes from the rate card in force for its customer and lead type at
  ``occurred_at``. An engagement level the card does not price is ``unpriced``: value 0, listed.
* A **duplicate** — an earlier action of the group with the same action type and engagement
  level exists — is not charged: its whole value is saved with reason ``duplicate`` and a
  reference to that first action.
* The **cap** of the card in force bounds what the group is billed; the action that crosses it
  is billed partially (integer minor units, so to the cent) and the excess is saved as ``cap``.

Every amount is an ``int`` of minor units; ``value == billed + savings`` holds on every line.
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

REASON_NONE = "none"
REASON_DUPLICATE = "duplicate"
REASON_CAP = "cap"
REASON_UNPRICED = "unpriced"

SCOPE_CUSTOMER_TYPE = "customer+lead_type"
SCOPE_CUSTOMER = "customer"
SCOPE_LEAD_TYPE = "lead_type"
SCOPE_DEFAULT = "default"


class CurrencyMismatch(ValueError):
    """The cards one report needs are in different currencies."""

    def __init__(self, customer_id, currencies: set[str]):
        self.customer_id = customer_id
        self.currencies = sorted(currencies)
        super().__init__(f"customer {customer_id}: cards in {', '.join(self.currencies)}")


class NoCard(LookupError):
    """No rate card is in force for an action (the tenant has no default card for then)."""


@dataclass(frozen=True, slots=True, eq=False)
class Card:
    """One version of a rate card: values per engagement level and the cap, in minor units.

    Compared and hashed by identity: a book holds each version once.
    """

    id: int | None
    version: int
    customer_id: int | None  # None: every customer
    lead_type: str  # "": every lead type
    valid_from: datetime
    valid_to: datetime | None  # None: open-ended
    currency: str
    values: Mapping[str, int]
    cap: int

    @property
    def scope(self) -> str:
        if self.customer_id is not None:
            return SCOPE_CUSTOMER_TYPE if self.lead_type else SCOPE_CUSTOMER
        return SCOPE_LEAD_TYPE if self.lead_type else SCOPE_DEFAULT

    def in_force(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)


def _priority(card: Card) -> int:
    # The most specific card wins: customer + lead type, customer, lead type, tenant default.
    return {SCOPE_CUSTOMER_TYPE: 0, SCOPE_CUSTOMER: 1, SCOPE_LEAD_TYPE: 2, SCOPE_DEFAULT: 3}[
        card.scope
    ]


class CardBook:
    """Resolves the card in force for (customer, lead type, time).

    For each (customer, lead type) seen, the winning card over time is precomputed as a list
    of segments, so the hot loop does a dict lookup (plus a bisect when a card changed inside
    the period).
    """

    def __init__(self, cards: Iterable[Card]):
        self.cards = sorted(cards, key=lambda c: (_priority(c), c.valid_from))
        self._timelines: dict[tuple, tuple[list[datetime], list[Card | None]]] = {}

    def timeline(self, customer_id, lead_type: str) -> tuple[list[datetime], list[Card | None]]:
        key = (customer_id, lead_type)
        found = self._timelines.get(key)
        if found is None:
            found = self._timelines[key] = self._build(customer_id, lead_type)
        return found

    def _build(self, customer_id, lead_type: str):
        candidates = [
            c
            for c in self.cards
            if c.customer_id in (None, customer_id) and c.lead_type in ("", lead_type)
        ]
        ends = {c.valid_to for c in candidates if c.valid_to is not None}
        points = sorted({c.valid_from for c in candidates} | ends)
        starts: list[datetime] = []
        winners: list[Card | None] = []
        for point in points:
            winner = next((c for c in candidates if c.in_force(point)), None)
            if winners and winners[-1] is winner:
                continue
            starts.append(point)
            winners.append(winner)
        return starts, winners

    def resolve(self, customer_id, lead_type: str, at: datetime) -> Card:
        starts, winners = self.timeline(customer_id, lead_type)
        index = bisect_right(starts, at) - 1
        card = winners[index] if index >= 0 else None
        if card is None:
            raise NoCard(f"no rate card in force at {at.isoformat()} for lead type {lead_type!r}")
        return card


class Line(NamedTuple):
    """One valued action of a report."""

    action_id: int
    lead_id: int
    customer_id: int | None
    product_id: int | None
    person_key: str
    lead_type: str
    action_type: str
    engagement: str
    occurred_at: datetime
    card: Card
    value: int
    billed: int
    savings: int
    reason: str
    duplicate_of: int | None  # the action this one duplicates
    billed_before: int  # what the group had been billed before this action (cap computation)
    adjustment: bool  # a late action of a closed period, billed in a later report

    @property
    def default_card(self) -> bool:
        """The lead type has no card of its own in force: the default card valued it."""
        return not self.card.lead_type


# Indexes into the mutable totals list kept per (customer, product).
ACTIONS, GROSS, BILLED, SAVED_DUPLICATE, SAVED_CAP, UNPRICED = range(6)


def new_totals() -> list[int]:
    return [0, 0, 0, 0, 0, 0]


@dataclass
class Group:
    """The state of one (customer, product, person) group while valuing a period."""

    billed: int = 0
    originals: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass
class Valuation:
    """What a pass produced: totals per (customer, product), lines if asked, and what the
    report lists (lead types valued by a default card, currencies seen per customer)."""

    totals: dict[tuple, list[int]] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    default_card_types: dict[object, set[str]] = field(default_factory=dict)
    currencies: dict[object, set[str]] = field(default_factory=dict)
    cards_used: dict[object, set[Card]] = field(default_factory=dict)

    def check_currency(self) -> None:
        for customer_id, currencies in self.currencies.items():
            if len(currencies) > 1:
                raise CurrencyMismatch(customer_id, currencies)


# An action as the engine reads it (every source — ORM, raw SQL, JSON — yields this tuple):
# (action_id, lead_id, customer_id, product_id, person_key, lead_type, action_type,
#  engagement, occurred_at)
Row = tuple


def valuate(
    rows: Iterable[Row],
    book: CardBook,
    *,
    groups: dict[tuple, Group] | None = None,
    keep_lines: bool = True,
    adjustment: bool = False,
    into: Valuation | None = None,
) -> Valuation:
    """Value `rows`: ordered by (occurred_at, action id) within each group — globally by
    time, or group after group (the big-report order, which keeps each group's state hot).

    `groups` carries state in: a closed period's settled lines (`groups_from_lines`) so that
    its late actions are valued after everything already billed. `into` accumulates several
    passes (a period's own actions, then each closed period's late actions) in one result.
    """
    result = into if into is not None else Valuation()
    groups = {} if groups is None else groups
    with _gc_paused():
        _valuate(rows, book, groups, result, keep_lines, adjustment)
    return result


def _valuate(rows, book, groups, result, keep_lines, adjustment) -> None:
    totals, lines, timeline = result.totals, result.lines, book.timeline
    seen: set[tuple] = set()
    last_customer = last_product = last_person = last_type = _NOTHING
    group = bucket = card = single = None
    starts: list[datetime] = []
    winners: list[Card | None] = []
    for row in rows:
        action_id, lead_id, customer_id, product_id, person, lead_type, action_type, level, at = row
        if person != last_person or product_id != last_product or customer_id != last_customer:
            # A new group (or back to one seen before, when rows come in time order).
            last_customer, last_product, last_person = customer_id, product_id, person
            group_key = (customer_id, product_id, person)
            group = groups.get(group_key)
            if group is None:
                group = groups[group_key] = Group()
            bucket = totals.get((customer_id, product_id))
            if bucket is None:
                bucket = totals[(customer_id, product_id)] = new_totals()
            last_type = _NOTHING
        if lead_type != last_type:
            last_type = lead_type
            starts, winners = timeline(customer_id, lead_type)
            single = winners[0] if len(winners) == 1 else None
        if single is not None and at >= starts[0]:
            card = single
        else:
            index = bisect_right(starts, at) - 1
            card = winners[index] if index >= 0 else None
            if card is None:
                raise NoCard(f"no rate card in force at {at.isoformat()} for {lead_type!r}")
        seen.add((customer_id, lead_type, card))
        bucket[ACTIONS] += 1
        before = group.billed
        value = card.values.get(level)
        duplicate_of = None
        if value is None:
            value = billed = 0
            reason = REASON_UNPRICED
            bucket[UNPRICED] += 1
        else:
            duplicate_of = group.originals.get((action_type, level))
            if duplicate_of is not None:
                billed = 0
                reason = REASON_DUPLICATE
                bucket[SAVED_DUPLICATE] += value
            else:
                group.originals[(action_type, level)] = action_id
                room = card.cap - before
                if value <= room:
                    billed, reason = value, REASON_NONE
                else:
                    billed = room if room > 0 else 0
                    reason = REASON_CAP
                    bucket[SAVED_CAP] += value - billed
                group.billed = before + billed
            bucket[GROSS] += value
            bucket[BILLED] += billed
        if keep_lines:
            lines.append(
                Line(
                    action_id,
                    lead_id,
                    customer_id,
                    product_id,
                    person,
                    lead_type,
                    action_type,
                    level,
                    at,
                    card,
                    value,
                    billed,
                    value - billed,
                    reason,
                    duplicate_of,
                    before,
                    adjustment,
                )
            )
    for customer_id, lead_type, card in seen:
        result.currencies.setdefault(customer_id, set()).add(card.currency)
        result.cards_used.setdefault(customer_id, set()).add(card)
        if not card.lead_type:
            result.default_card_types.setdefault(customer_id, set()).add(lead_type)


_NOTHING = object()


@contextmanager
def _gc_paused():
    """A pass allocates many small long-lived objects (group state, lines); the cyclic
    collector's repeated full scans over them would cost more than the valuation."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Settled(NamedTuple):
    """What a frozen line tells the valuation of its period's late actions."""

    action_id: int
    customer_id: int | None
    product_id: int | None
    person_key: str
    action_type: str
    engagement: str
    occurred_at: datetime
    billed: int
    reason: str


def groups_from_lines(lines: Iterable[Settled | Line]) -> dict[tuple, Group]:
    """Rebuild group state from settled lines (a frozen period): billed so far and the first
    action of each (action type, engagement level)."""
    groups: dict[tuple, Group] = {}
    for line in sorted(lines, key=lambda ln: (ln.occurred_at, ln.action_id)):
        key = (line.customer_id, line.product_id, line.person_key)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group()
        group.billed += line.billed
        if line.reason in (REASON_NONE, REASON_CAP):
            group.originals.setdefault((line.action_type, line.engagement), line.action_id)
    return groups


def sort_key(row: Row) -> tuple:
    """The evaluation order: occurred_at, then action id."""
    return (row[8], row[0])


def sum_totals(buckets: Iterable[list[int]]) -> list[int]:
    out = new_totals()
    for bucket in buckets:
        for i, amount in enumerate(bucket):
            out[i] += amount
    return out
