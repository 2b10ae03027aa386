"""Lead filters and orderings, parsed from query parameters (API, dashboard, exports alike).

`parse_lead_filters(params, user=…)` turns a QueryDict (or any mapping of lists/strings) into a
plain filter dict that `apps.leads.selectors.lead_filter(tenant, filters)` understands; bad values
raise `ValidationFailed` with field errors. Keys of the dict:

    status, source: list[str]    list: int | "none"      lead_type: str
    customer, product: str (the tenant's reference or the numeric id)
    created_from, created_to: datetime (aware)             assigned: int | "none"
    q: str                       ordering: one of ORDERINGS
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed
from apps.leads.models import LeadStatus, Source

# Keyset orderings: (field, descending) pairs, always ending in the unique id. Each sorts all
# its keys the same way, so a cursor is one row comparison over an index (tenant, …): "status"
# is status then oldest first, "-status" the exact reverse.
ORDERINGS: dict[str, tuple[tuple[str, bool], ...]] = {
    "-created_at": (("created_at", True), ("id", True)),
    "created_at": (("created_at", False), ("id", False)),
    "name": (("name", False), ("id", False)),
    "-name": (("name", True), ("id", True)),
    "status": (("status", False), ("created_at", False), ("id", False)),
    "-status": (("status", True), ("created_at", True), ("id", True)),
}
DEFAULT_ORDERING = "-created_at"
FILTER_KEYS = (
    "status",
    "source",
    "list",
    "lead_type",
    "customer",
    "product",
    "created_from",
    "created_to",
    "assigned",
    "q",
    "ordering",
)
MAX_Q = 200


def _values(params: Mapping, key: str) -> list[str]:
    """Every value of a parameter: repeated (?status=a&status=b) or comma-separated."""
    if hasattr(params, "getlist"):
        raw = params.getlist(key)
    else:
        value = params.get(key)
        raw = value if isinstance(value, list | tuple) else ([] if value is None else [value])
    out = []
    for value in raw:
        out += [part.strip() for part in str(value).split(",") if part.strip()]
    return out


def _one(params: Mapping, key: str) -> str:
    values = _values(params, key) if key != "q" else _raw_one(params, key)
    return values[-1] if values else ""


def _raw_one(params: Mapping, key: str) -> list[str]:
    value = params.get(key)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return [] if value is None or not str(value).strip() else [str(value).strip()]


def _choices(params, key, allowed, errors) -> list[str]:
    values = _values(params, key)
    bad = [v for v in values if v not in allowed]
    if bad:
        errors[key] = [_("Must be one of: %(values)s.") % {"values": ", ".join(allowed)}]
    return values


def _moment(value: str, *, end: bool) -> datetime | None:
    """A date means its whole day (in the current time zone); a time is taken as given."""
    day = parse_date(value) if len(value) == 10 else None
    if day is not None:
        moment = datetime.combine(day, time.max if end else time.min)
    else:
        moment = parse_datetime(value)
        if moment is None:
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _int_or(value: str, word: str, key: str, errors) -> int | str | None:
    if not value:
        return None
    if value == word:
        return word
    try:
        return int(value)
    except ValueError:
        errors[key] = [_("Must be an id or “%(word)s”.") % {"word": word}]
        return None


def parse_lead_filters(params: Mapping, *, user=None) -> dict[str, Any]:
    """Query parameters → filter dict (see the module docstring); 400 on bad values."""
    errors: dict[str, list[str]] = {}
    filters: dict[str, Any] = {}
    statuses = _choices(params, "status", LeadStatus.values, errors)
    sources = _choices(params, "source", Source.values, errors)
    if statuses:
        filters["status"] = statuses
    if sources:
        filters["source"] = sources
    for key in ("lead_type", "customer", "product"):
        value = _one(params, key)
        if value:
            filters[key] = value[:200]
    list_ref = _int_or(_one(params, "list"), "none", "list", errors)
    if list_ref is not None:
        filters["list"] = list_ref
    _parse_assigned(_one(params, "assigned"), user, filters, errors)
    _parse_dates(params, filters, errors)
    q = _one(params, "q")
    if len(q) > MAX_Q:
        errors["q"] = [_("Too long: at most %(max)s characters.") % {"max": MAX_Q}]
    elif q:
        filters["q"] = q
    ordering = _one(params, "ordering") or DEFAULT_ORDERING
    if ordering not in ORDERINGS:
        errors["ordering"] = [_("Must be one of: %(values)s.") % {"values": ", ".join(ORDERINGS)}]
    filters["ordering"] = ordering
    if errors:
        raise ValidationFailed(_("Some filters are invalid."), fields=errors)
    return filters


def _parse_assigned(value: str, user, filters, errors) -> None:
    if not value:
        return
    if value == "me":
        user_id = getattr(user, "pk", None)
        if not isinstance(user_id, int):
            errors["assigned"] = [_("“me” needs a signed-in user.")]
            return
        filters["assigned"] = user_id
        return
    assigned = _int_or(value, "none", "assigned", errors)
    if assigned is not None:
        filters["assigned"] = assigned


def _parse_dates(params, filters, errors) -> None:
    for key, end in (("created_from", False), ("created_to", True)):
        value = _one(params, key)
        if not value:
            continue
        try:
            moment = _moment(value, end=end)
        except ValueError:
            moment = None
        if moment is None:
            errors[key] = [_("Enter a date (2024-04-01) or a date and time in ISO 8601.")]
        else:
            filters[key] = moment
    start, stop = filters.get("created_from"), filters.get("created_to")
    if start and stop and start > stop:
        errors["created_to"] = [_("Must not be before created_from.")]


def filters_to_params(filters: dict[str, Any]) -> dict[str, Any]:
    """A filter dict → JSON-safe query parameters that parse back to the same filters."""
    out: dict[str, Any] = {}
    for key, value in filters.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, list):
            out[key] = ",".join(value)
        else:
            out[key] = str(value)
    return out
