"""The one interpreter of rule conditions: a small JSON structure, validated on save, evaluated
without eval. Shapes:

    {"all": [cond, ...]}  {"any": [cond, ...]}  {}  (no conditions: always true)
    {"field": "properties.failure_reason", "op": "eq", "value": "INSUFFICIENT_FUNDS"}
        ops: eq, ne, in (value is a list), gt, gte, lt, lte, exists (value true/false)
        fields: properties.<name>[.<name>…], event.type, lead.<field> (LEAD_FIELDS)
    {"event": "signup_completed", "happened": true, "within_hours": 24, "direction": "before"}
        another event of the same subject, `direction` before/after this one by occurred_at.

`evaluate` answers (True, None) or (False, failure) where failure names the condition's path,
what it expected and the actual value: the decision stores it for the audit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}
OPS = (*COMPARE, "in", "exists")
LEAD_FIELDS = frozenset(
    {
        "status",
        "source",
        "lead_type",
        "name",
        "email",
        "phone",
        "company",
        "consent_marketing",
        "first_contact_at",
        "created_at",
    }
)
MISSING = object()
MAX_DEPTH = 5
MAX_HOURS = 24 * 366


@dataclass
class Context:
    """What a condition can see. `history(event_type, start, end)` answers whether the subject
    had such an event with occurred_at in [start, end] (other than the evaluated event)."""

    event_type: str
    occurred_at: datetime
    properties: dict
    lead: Any
    history: Callable[[str, datetime, datetime], bool]


# --- validation ---------------------------------------------------------------------------


def validate(conditions: Any) -> dict[str, str]:
    """Per-path messages (`conditions.all[1].op`: …); empty when the structure is valid."""
    errors: dict[str, str] = {}
    if conditions in (None, {}):
        return errors
    _check(conditions, "conditions", 0, errors)
    return errors


def _check(node: Any, path: str, depth: int, errors: dict[str, str]) -> None:
    if not isinstance(node, dict):
        errors[path] = _("Expected an object.")
    elif depth > MAX_DEPTH:
        errors[path] = _("Too deeply nested (at most %(n)s levels).") % {"n": MAX_DEPTH}
    elif "all" in node or "any" in node:
        _check_group(node, path, depth, errors)
    elif "event" in node:
        _check_history(node, path, errors)
    elif "field" in node:
        _check_compare(node, path, errors)
    else:
        errors[path] = _("Use one of: all, any, field, event.")


def _check_group(node: dict, path: str, depth: int, errors: dict[str, str]) -> None:
    key = "all" if "all" in node else "any"
    if set(node) != {key}:
        errors[path] = _("A group has only “%(key)s”.") % {"key": key}
        return
    children = node[key]
    if not isinstance(children, list) or not children:
        errors[f"{path}.{key}"] = _("Expected a non-empty list of conditions.")
        return
    for index, child in enumerate(children):
        _check(child, f"{path}.{key}[{index}]", depth + 1, errors)


def _check_compare(node: dict, path: str, errors: dict[str, str]) -> None:
    unknown = set(node) - {"field", "op", "value"}
    if unknown:
        errors[path] = _("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}
    field = node.get("field")
    if not isinstance(field, str) or not _field_ok(field):
        errors[f"{path}.field"] = _(
            "Use properties.<name>, event.type or lead.<field> (%(fields)s)."
        ) % {"fields": ", ".join(sorted(LEAD_FIELDS))}
    op = node.get("op")
    if op not in OPS:
        errors[f"{path}.op"] = _("Unknown operator; use one of: %(ops)s.") % {"ops": ", ".join(OPS)}
    elif op == "in" and not isinstance(node.get("value"), list):
        errors[f"{path}.value"] = _("“in” needs a list of values.")
    elif op == "exists" and not isinstance(node.get("value", True), bool):
        errors[f"{path}.value"] = _("“exists” takes true or false.")
    elif op in COMPARE and "value" not in node:
        errors[f"{path}.value"] = _("A value is required.")
    elif op in ("gt", "gte", "lt", "lte") and not isinstance(node["value"], int | float | str):
        errors[f"{path}.value"] = _("Compare with a number, a date or a text.")


def _field_ok(field: str) -> bool:
    head, _dot, rest = field.partition(".")
    if head == "properties":
        return bool(rest) and all(rest.split("."))
    if head == "lead":
        return rest in LEAD_FIELDS
    return field == "event.type"


def _check_history(node: dict, path: str, errors: dict[str, str]) -> None:
    unknown = set(node) - {"event", "happened", "within_hours", "direction"}
    if unknown:
        errors[path] = _("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(unknown))}
    if not isinstance(node.get("event"), str) or not node["event"].strip():
        errors[f"{path}.event"] = _("Name the event type.")
    if not isinstance(node.get("happened", True), bool):
        errors[f"{path}.happened"] = _("Use true (happened) or false (did not happen).")
    hours = node.get("within_hours")
    if isinstance(hours, bool) or not isinstance(hours, int) or not 0 < hours <= MAX_HOURS:
        errors[f"{path}.within_hours"] = _("A whole number of hours from 1 to %(max)s.") % {
            "max": MAX_HOURS
        }
    if node.get("direction", "before") not in ("before", "after"):
        errors[f"{path}.direction"] = _("Use before or after.")


# --- evaluation ---------------------------------------------------------------------------


def evaluate(conditions: Any, ctx: Context) -> tuple[bool, dict | None]:
    if conditions in (None, {}):
        return True, None
    return _eval(conditions, "conditions", ctx)


def _eval(node: dict, path: str, ctx: Context) -> tuple[bool, dict | None]:
    if "all" in node:
        for index, child in enumerate(node["all"]):
            ok, failure = _eval(child, f"{path}.all[{index}]", ctx)
            if not ok:
                return False, failure
        return True, None
    if "any" in node:
        failures = []
        for index, child in enumerate(node["any"]):
            ok, failure = _eval(child, f"{path}.any[{index}]", ctx)
            if ok:
                return True, None
            failures.append(failure)
        return False, {"path": f"{path}.any", "kind": "any", "failures": failures}
    if "event" in node:
        return _eval_history(node, path, ctx)
    return _eval_compare(node, path, ctx)


def _eval_compare(node: dict, path: str, ctx: Context) -> tuple[bool, dict | None]:
    actual = resolve(node["field"], ctx)
    op, expected = node["op"], node.get("value", True)
    ok = _apply(op, actual, expected)
    if ok:
        return True, None
    shown = None if actual is MISSING else _plain(actual)
    failure = {"path": path, "kind": "compare", "field": node["field"], "op": op}
    return False, {**failure, "expected": expected, "actual": shown, "missing": actual is MISSING}


def _apply(op: str, actual: Any, expected: Any) -> bool:
    if op == "exists":
        return (actual is not MISSING and actual is not None) == bool(expected)
    if actual is MISSING:
        return op == "ne"
    if op == "in":
        return actual in expected
    actual, expected = _comparable(actual, expected)
    try:
        return COMPARE[op](actual, expected)
    except TypeError:
        return False  # "abc" > 3 is simply not true


def _comparable(actual: Any, expected: Any) -> tuple[Any, Any]:
    if isinstance(actual, datetime) and isinstance(expected, str):
        return actual, parse_datetime(expected) or expected
    if isinstance(expected, int | float) and isinstance(actual, str):
        try:
            return float(actual), expected
        except ValueError:
            return actual, expected
    return actual, expected


def _eval_history(node: dict, path: str, ctx: Context) -> tuple[bool, dict | None]:
    hours = timedelta(hours=node["within_hours"])
    after = node.get("direction", "before") == "after"
    start, end = (
        (ctx.occurred_at, ctx.occurred_at + hours)
        if after
        else (ctx.occurred_at - hours, ctx.occurred_at)
    )
    wanted = node.get("happened", True)
    found = ctx.history(node["event"], start, end)
    if found == wanted:
        return True, None
    failure = {"path": path, "kind": "history", "event": node["event"], "happened": wanted}
    return False, {**failure, "within_hours": node["within_hours"], "after": after}


def resolve(field: str, ctx: Context) -> Any:
    head, _dot, rest = field.partition(".")
    if field == "event.type":
        return ctx.event_type
    if head == "lead":
        return MISSING if ctx.lead is None else getattr(ctx.lead, rest, MISSING)
    value: Any = ctx.properties
    for part in rest.split("."):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def history_event_types(conditions: Any) -> set[str]:
    """Event types the conditions look back (or ahead) at."""
    if not isinstance(conditions, dict):
        return set()
    if "event" in conditions:
        return {conditions["event"]}
    children = conditions.get("all") or conditions.get("any") or []
    return set().union(*(history_event_types(child) for child in children))
