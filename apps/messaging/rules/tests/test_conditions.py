"""The condition interpreter: validation names the path, evaluation reports the actual value."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from apps.messaging.rules.conditions import Context, evaluate, validate

AT = datetime(2026, 3, 2, 12, tzinfo=UTC)


def _ctx(properties=None, lead=None, history=()):
    def seen(event_type, start, end):
        return any(t == event_type and start <= when <= end for t, when in history)

    return Context("payment_failed", AT, properties or {}, lead, seen)


@pytest.mark.parametrize(
    ("op", "value", "actual", "expected"),
    [
        ("eq", "A", "A", True),
        ("ne", "A", "B", True),
        ("in", ["A", "B"], "B", True),
        ("in", ["A"], "C", False),
        ("gt", 2, 3, True),
        ("gte", 3, 3, True),
        ("lt", 3, 3, False),
        ("lte", 3, "3", True),
        ("gt", 2, "abc", False),
        ("exists", True, 0, True),
        ("exists", False, None, True),
    ],
)
def test_operators(op, value, actual, expected):
    cond = {"field": "properties.x", "op": op, "value": value}
    assert evaluate(cond, _ctx({"x": actual}))[0] is expected


def test_missing_property_fails_naming_the_path_and_absence():
    cond = {"all": [{"field": "properties.a.b", "op": "eq", "value": 1}]}

    ok, failure = evaluate(cond, _ctx({"a": {}}))

    assert not ok
    assert failure["path"] == "conditions.all[0]" and failure["missing"] is True


def test_any_passes_when_one_child_holds_and_reports_all_failures_otherwise():
    cond = {
        "any": [
            {"field": "properties.a", "op": "eq", "value": 1},
            {"field": "lead.status", "op": "eq", "value": "new"},
        ]
    }

    assert evaluate(cond, _ctx({"a": 1}))[0]
    ok, failure = evaluate(cond, _ctx({"a": 2}, SimpleNamespace(status="lost")))
    assert not ok and [f["actual"] for f in failure["failures"]] == [2, "lost"]


def test_history_before_and_after_and_did_not_happen():
    before = {"event": "signup", "within_hours": 24, "direction": "before"}
    after = {"event": "reply", "within_hours": 2, "direction": "after", "happened": False}
    history = [("signup", AT - timedelta(hours=23)), ("reply", AT + timedelta(hours=3))]

    assert evaluate(before, _ctx(history=history))[0]
    assert not evaluate(before, _ctx(history=[("signup", AT - timedelta(hours=25))]))[0]
    assert evaluate(after, _ctx(history=history))[0]
    assert not evaluate(after, _ctx(history=[("reply", AT + timedelta(hours=1))]))[0]


@pytest.mark.parametrize(
    ("conditions", "path"),
    [
        ([], "conditions"),
        ({"all": []}, "conditions.all"),
        ({"all": [{"field": "properties.x", "op": "like", "value": 1}]}, "conditions.all[0].op"),
        ({"all": [{"field": "lead.password", "op": "eq", "value": 1}]}, "conditions.all[0].field"),
        ({"any": [{"field": "properties.x", "op": "in", "value": "a"}]}, "conditions.any[0].value"),
        ({"field": "properties.x", "op": "eq"}, "conditions.value"),
        ({"event": "x", "within_hours": 0}, "conditions.within_hours"),
        ({"event": "x", "within_hours": 2, "direction": "later"}, "conditions.direction"),
        ({"field": "__import__('os')", "op": "eq", "value": 1}, "conditions.field"),
        ({"eval": "1"}, "conditions"),
    ],
)
def test_validation_names_the_path(conditions, path):
    assert path in validate(conditions)


def test_valid_structures_have_no_errors():
    assert validate({}) == {}
    assert (
        validate(
            {
                "all": [
                    {"field": "properties.a", "op": "gte", "value": 3},
                    {
                        "any": [
                            {"event": "s", "within_hours": 24},
                            {"field": "lead.first_contact_at", "op": "exists", "value": False},
                        ]
                    },
                ]
            }
        )
        == {}
    )
