"""Where a person's data lives: each app registers, for its own models, how to find one
person's rows and which fields are personal. apps/privacy reads the registry to export a
person's data, to erase it (152-FZ, GDPR) and to apply each company's retention settings; core
knows no app, only what they registered.

    register_personal_data(
        PersonalData(
            "messaging.message", model=Message, lead="lead",
            fields={"address": REDACT, "subject": BLANK, "body": REDACT},
        ),
    )

A person is a tenant's lead (`lead` is the ORM path from the model to the lead's id: "pk" for
the lead itself, "lead", "conversation__lead"), or one of our users (`user`: the path to the
user's id). `find` replaces both for rows that are found another way (by an address the person
used); it gets the `Person`, whose `identifiers` hold the person's e-mails and phones collected
before anything is erased. Rows that name the person by such an address say so with
`find=FoundByAddress(Model, ("email",))`. Money records say `money=True`: erasing anonymizes
them, never deletes them. `erase="delete"` deletes the rows instead (a conversation's messages).

Retention (per-company "keep for N days") is registered the same way, by category:

    register_retention(Retention("tickets", model=Ticket, date_field="created_at"))

Categories are the keys of `RETENTION_CATEGORIES`; a rule deletes a company's rows older than
the company's setting for its category, or runs its own `purge(queryset)` (files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Model, Q, QuerySet

ERASED = "[erased]"


def BLANK(value: Any, row: Any = None) -> Any:
    return ""


def NULL(value: Any, row: Any = None) -> Any:
    return None


def REDACT(value: Any, row: Any = None) -> Any:
    """A visible marker where text was: the row still reads as "something was here"."""
    return ERASED if value not in (None, "") else value


def EMPTY_JSON(value: Any, row: Any = None) -> Any:
    return {} if isinstance(value, dict) or value is None else []


def ERASED_JSON(value: Any, row: Any = None) -> Any:
    return {"erased": True}


Anonymizer = Callable[[Any, Model], Any]  # (old value, row) -> new value


@dataclass(frozen=True)
class Person:
    """Whose data: a lead of `tenant` (`lead_id`), or one of our users (`user_id`)."""

    tenant_id: Any = None
    lead_id: int | None = None
    user_id: int | None = None
    identifiers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PersonalData:
    key: str
    model: type[Model]
    fields: dict[str, Anonymizer]
    lead: str | None = None
    user: str | None = None
    find: Callable[[Person], QuerySet] | None = None
    erase: str = "anonymize"  # or "delete"
    money: bool = False
    tenant_field: str = "tenant"
    # Also kept in exports, though not personal (ids and dates make the export readable).
    context_fields: tuple[str, ...] = ("id", "created_at")
    # Fields whose values identify the person (e-mail, phone, an address): collected before
    # erasure, for the entries that `find` rows by them.
    identifier_fields: tuple[str, ...] = ()
    label: str = ""

    def rows(self, person: Person) -> QuerySet:
        """This person's rows of the model (never another tenant's)."""
        manager = self.model._base_manager
        if self.find is not None:
            return self.find(person)
        if person.lead_id is not None and self.lead:
            rows = manager.filter(**{self.lead: person.lead_id})
            return rows.filter(**{self.tenant_field: person.tenant_id})
        if person.user_id is not None and self.user:
            return manager.filter(**{self.user: person.user_id})
        return manager.none()

    def export_fields(self) -> list[str]:
        names = {f.name for f in self.model._meta.concrete_fields}
        return [n for n in self.context_fields if n in names] + list(self.fields)


_registry: dict[str, PersonalData] = {}


def register_personal_data(*entries: PersonalData) -> None:
    """Add an app's personal data (from its wiring.py); same entry again is a no-op."""
    for entry in entries:
        taken = _registry.get(entry.key)
        if taken is not None and taken != entry:
            raise ValueError(f"Two personal-data entries are named {entry.key!r}")
        _registry[entry.key] = entry


def personal_data_entries() -> tuple[PersonalData, ...]:
    return tuple(_registry.values())


def anonymized(entry: PersonalData, row: Model) -> dict[str, Any]:
    """The new values of the row's personal fields."""
    return {name: how(getattr(row, name), row) for name, how in entry.fields.items()}


def identifiers_q(field_name: str, identifiers: Iterable[str]) -> Q:
    """Rows whose `field_name` is one of the person's identifiers (case-insensitive)."""
    values = [v for v in identifiers if v]
    if not values:
        return Q(pk__in=[])
    query = Q()
    for value in values:
        query |= Q(**{f"{field_name}__iexact": value})
    return query


@dataclass(frozen=True)
class FoundByAddress:
    """The `find` of rows that name the person by an address (e-mail, phone) in `fields`: a
    lead's rows within its company, with those whose `lead` path is the lead; or (`of="user"`)
    one of our users' rows in every company.

        find=FoundByAddress(Suppression, ("value",))
    """

    model: type[Model]
    fields: tuple[str, ...]
    of: str = "lead"  # or "user"
    lead: str | None = None
    tenant_field: str = "tenant"

    def __call__(self, person: Person) -> QuerySet:
        rows = self.model._base_manager.all()
        mine = reduce(or_, (identifiers_q(name, person.identifiers) for name in self.fields))
        if self.of == "user":
            return rows.filter(mine) if person.user_id is not None else rows.none()
        if person.tenant_id is None:
            return rows.none()
        if self.lead and person.lead_id is not None:
            mine |= Q(**{self.lead: person.lead_id})
        return rows.filter(**{self.tenant_field: person.tenant_id}).filter(mine)


# --- retention ----------------------------------------------------------------------------

RETENTION_CATEGORIES = ("conversations", "tickets", "ai_raw", "import_files")


@dataclass(frozen=True)
class Retention:
    category: str
    model: type[Model]
    date_field: str
    key: str = ""
    tenant_field: str = "tenant"
    # Instead of deleting the rows, do this to them (clear a raw response, delete a file);
    # returns how many rows it changed.
    purge: Callable[[QuerySet], int] | None = None
    extra: dict = field(default_factory=dict)  # further filters (only finished jobs, ...)

    def __post_init__(self):
        if self.category not in RETENTION_CATEGORIES:
            raise ValueError(f"Unknown retention category {self.category!r}")

    @property
    def name(self) -> str:
        return self.key or f"{self.model._meta.label_lower}:{self.category}"

    def expired(self, tenant_id, cutoff) -> QuerySet:
        rows = self.model._base_manager.filter(**{self.tenant_field: tenant_id})
        return rows.filter(**{f"{self.date_field}__lt": cutoff, **self.extra})

    def apply(self, tenant_id, cutoff) -> int:
        rows = self.expired(tenant_id, cutoff)
        if self.purge is not None:
            return self.purge(rows)
        _total, by_model = rows.delete()
        return by_model.get(self.model._meta.label, 0)  # this model's rows, not the cascade


_retention: dict[str, Retention] = {}


def register_retention(*rules: Retention) -> None:
    for rule in rules:
        taken = _retention.get(rule.name)
        if taken is not None and taken != rule:
            raise ValueError(f"Two retention rules are named {rule.name!r}")
        _retention[rule.name] = rule


def retention_rules(category: str | None = None) -> tuple[Retention, ...]:
    return tuple(r for r in _retention.values() if category in (None, r.category))


# --- objections to processing -------------------------------------------------------------

ProcessingCheck = Callable[[Any, list[int]], set[int]]
_processing_checks: list[ProcessingCheck] = []


def register_processing_check(check: ProcessingCheck) -> None:
    """`check(tenant_id, lead_ids)` returns the ids of leads that may not be processed (the
    person withdrew consent or was erased). apps/privacy registers it; messaging and
    enrichment ask `processing_refused` before they act on a lead."""
    if check not in _processing_checks:
        _processing_checks.append(check)


def processing_refused(tenant_id, lead_ids: Iterable[int]) -> set[int]:
    ids = [int(i) for i in lead_ids if i is not None]
    refused: set[int] = set()
    if not ids:
        return refused
    for check in _processing_checks:
        refused |= set(check(tenant_id, ids))
    return refused
