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


def _lead(tenant, email: str) -> Lead:
    return Lead.objects.create(
        tenant=tenant, email=email, person_key=f"e:{email}", identity_key=f"0:0:e:{email}"
    )


def test_found_by_address_finds_a_leads_rows_in_its_company_only(tenant, other_tenant):
    # given two leads of the company (one by address, one by the lead path) and another
    # company's lead with the same address
    mine = _lead(tenant, "Anna@Example.ru")
    linked = _lead(tenant, "linked@example.ru")
    _lead(tenant, "someone@example.ru")
    _lead(other_tenant, "anna@example.ru")
    find = pd.FoundByAddress(Lead, ("email",), lead="pk")
    person = pd.Person(
        tenant_id=tenant.pk, lead_id=linked.pk, identifiers=frozenset({"anna@example.ru"})
    )

    # then the address matches case-insensitively, within the company, with the lead's own row
    assert set(find(person)) == {mine, linked}
    # and one of our users is no lead: nothing
    assert not find(pd.Person(user_id=1, identifiers=frozenset({"anna@example.ru"}))).exists()


def test_found_by_address_of_a_user_looks_in_every_company(tenant, other_tenant):
    rows = {_lead(tenant, "ivan@example.ru"), _lead(other_tenant, "ivan@example.ru")}
    find = pd.FoundByAddress(Lead, ("email",), of="user")
    user = pd.Person(user_id=1, identifiers=frozenset({"ivan@example.ru"}))
    assert set(find(user)) == rows
    lead = pd.Person(tenant_id=tenant.pk, lead_id=1, identifiers=frozenset({"ivan@example.ru"}))
    assert not find(lead).exists()
    assert not find(pd.Person(user_id=1)).exists()  # no address known: nothing
