"""The personal-data registry: entries and retention rules by name, anonymizers, and the
processing checks the apps above register."""

from __future__ import annotations

import pytest

from apps.core import personal_data as pd
from apps.leads.models import Lead


@pytest.fixture
def empty(monkeypatch):
    monkeypatch.setattr(pd, "_registry", {})
    monkeypatch.setattr(pd, "_retention", {})
    monkeypatch.setattr(pd, "_processing_checks", [])


def test_the_same_entry_twice_is_a_no_op_another_under_its_name_is_an_error(empty):
    entry = pd.PersonalData("x.lead", model=Lead, lead="pk", fields={"name": pd.REDACT})
    pd.register_personal_data(entry, entry)
    assert pd.personal_data_entries() == (entry,)
    other = pd.PersonalData("x.lead", model=Lead, lead="pk", fields={"email": pd.BLANK})
    with pytest.raises(ValueError, match=r"x\.lead"):
        pd.register_personal_data(other)


def test_retention_categories_are_a_closed_list(empty):
    with pytest.raises(ValueError, match="Unknown retention category"):
        pd.Retention("forever", model=Lead, date_field="created_at")
    rule = pd.Retention("tickets", model=Lead, date_field="created_at")
    pd.register_retention(rule)
    assert pd.retention_rules("tickets") == (rule,) and pd.retention_rules("ai_raw") == ()


def test_anonymizers_leave_a_marker_only_where_there_was_text():
    assert pd.REDACT("Ivan") == pd.ERASED and pd.REDACT("") == ""
    assert pd.BLANK("Ivan") == "" and pd.NULL("x") is None
    assert pd.EMPTY_JSON({"a": 1}) == {} and pd.EMPTY_JSON(["a"]) == []
    assert pd.ERASED_JSON({"email": "a@b.c"}) == {"erased": True}


def test_processing_is_refused_if_any_check_refuses(empty):
    pd.register_processing_check(lambda tenant_id, ids: {ids[0]})
    pd.register_processing_check(lambda tenant_id, ids: set())
    assert pd.processing_refused("t", [3, 4]) == {3}
    assert pd.processing_refused("t", []) == set()


def test_every_app_that_keeps_people_registered_its_places():
    keys = {entry.key for entry in pd.personal_data_entries()}
    assert {
        "leads.lead", "messaging.message", "messaging.suppression", "enrichment.leadenrichment",
        "booking.booking", "integrations.webhookevent", "payperlead.billingline",
        "accounts.user", "tenants.invitation", "privacy.consentrecord",
    } <= keys  # fmt: skip
    assert {r.category for r in pd.retention_rules()} >= {"conversations", "ai_raw", "import_files"}
