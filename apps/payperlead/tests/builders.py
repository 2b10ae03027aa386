"""Builders for tests of the pay-per-lead engine (rows and cards without a database)."""

from __future__ import annotations

from datetime import UTC, datetime

from apps.payperlead import engine
from apps.payperlead.models import EPOCH


def at(text: str) -> datetime:
    """'2024-04-01 10:00' → an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def row(
    action_id: int,
    when: str | datetime,
    *,
    action: str = "Page View",
    level: str = "Low",
    person: str = "e:ann@example.com",
    customer: int | None = 1,
    product: int | None = 1,
    lead: int = 1,
    lead_type: str = "Website Visit",
) -> tuple:
    occurred = at(when) if isinstance(when, str) else when
    return (action_id, lead, customer, product, person, lead_type, action, level, occurred)


def card(
    high: int = 1000,
    medium: int = 500,
    low: int = 200,
    *,
    cap: int = 10000,
    currency: str = "USD",
    customer: int | None = None,
    lead_type: str = "",
    valid_from: datetime = EPOCH,
    valid_to: datetime | None = None,
    id: int = 1,
    version: int = 1,
) -> engine.Card:
    return engine.Card(
        id=id,
        version=version,
        customer_id=customer,
        lead_type=lead_type,
        valid_from=valid_from,
        valid_to=valid_to,
        currency=currency,
        values={"High": high, "Medium": medium, "Low": low},
        cap=cap,
    )


def book(*cards: engine.Card) -> engine.CardBook:
    return engine.CardBook(cards or [card()])


def value(rows, *cards, **kwargs) -> engine.Valuation:
    """Value rows in evaluation order (sorted by occurred_at, then id)."""
    return engine.valuate(sorted(rows, key=engine.sort_key), book(*cards), **kwargs)


def by_action(valuation: engine.Valuation) -> dict[int, engine.Line]:
    return {line.action_id: line for line in valuation.lines}


def overall(valuation: engine.Valuation) -> list[int]:
    return engine.sum_totals(valuation.totals.values())
