"""Consents keep the texts shown and their version; withdrawing consent stops messages and AI
enrichment for the lead."""

from __future__ import annotations

import pytest

from apps.enrichment.services.selection import enrichment_decisions
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead
from apps.leads.widget_config import widget_config_get, widget_config_save
from apps.messaging.errors import Suppressed
from apps.messaging.policy import ensure_may_send
from apps.privacy.models import ConsentRecord
from apps.privacy.services import consents
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _widget_lead(tenant, capture):
    item = {"email": "visitor@example.test", "consent": {"processing": True, "marketing": True}}
    with capture(execute=True):
        outcome = ingest_leads(
            tenant=tenant, items=[item], source="widget", consent_source="https://a.test/form"
        )
    return Lead.objects.for_tenant(tenant).get(pk=outcome.results[0].lead_id)


def test_a_widget_consent_is_stored_with_its_texts_and_version(
    tenant, django_capture_on_commit_callbacks
):
    config = widget_config_get(tenant)
    config.consent_ru = "Согласен на обработку данных v7"
    config.consent_en = "I agree, v7"
    config.version = 7
    config.save()

    lead = _widget_lead(tenant, django_capture_on_commit_callbacks)

    rows = {r.purpose: r for r in ConsentRecord.objects.for_tenant(tenant).filter(lead=lead)}
    assert set(rows) == {"processing", "marketing"}
    processing = rows["processing"]
    assert processing.granted and processing.version == "widget v7"
    assert processing.texts == {"ru": "Согласен на обработку данных v7", "en": "I agree, v7"}
    assert processing.source == "https://a.test/form"


def test_the_consent_is_written_in_the_transaction_that_creates_the_lead(tenant):
    # no after-commit callback runs here: the consent must not wait for one
    item = {"email": "atomic@example.test", "consent": {"processing": True, "marketing": False}}
    lead_id = ingest_leads(tenant=tenant, items=[item], source="widget").results[0].lead_id

    rows = list(ConsentRecord.objects.for_tenant(tenant).filter(lead_id=lead_id))
    assert [(r.purpose, r.granted) for r in rows] == [("processing", True)]


def test_renamed_company_and_edited_texts_are_what_the_next_consent_keeps(
    tenant, django_capture_on_commit_callbacks
):  # the texts are cached (privacy/flags.py): both changes must reach the next record
    _widget_lead(tenant, django_capture_on_commit_callbacks)  # caches the texts
    with django_capture_on_commit_callbacks(execute=True):
        widget_config_save(tenant, actor=None, data={"consent_en": "%(company)s may call me"})
        tenant.name = "Renamed Ltd"
        tenant.save()
    item = {"email": "later@example.test", "consent": {"processing": True}}
    lead_id = ingest_leads(tenant=tenant, items=[item], source="widget").results[0].lead_id

    record = ConsentRecord.objects.for_tenant(tenant).get(lead_id=lead_id)
    assert record.texts["en"] == "Renamed Ltd may call me"


def test_withdrawal_stops_messages_and_enrichment(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    lead = _widget_lead(tenant, django_capture_on_commit_callbacks)
    ensure_may_send(tenant, lead, "email", lead.email)  # allowed before

    consents.consent_withdraw(tenant=tenant, lead=lead, actor=admin_user)

    lead.refresh_from_db()
    assert not lead.consent_processing and not lead.consent_marketing
    with pytest.raises(Suppressed) as refused:
        ensure_may_send(tenant, lead, "email", lead.email)
    assert refused.value.reason == "consent_withdrawn"
    with tenant_scope(tenant):
        decision = enrichment_decisions(tenant, [lead.pk], force=True, offline=True)[0]
    assert not decision["billable"] and "отозвал согласие" in decision["reason"]


def test_withdrawing_marketing_only_keeps_processing(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    lead = _widget_lead(tenant, django_capture_on_commit_callbacks)

    consents.consent_withdraw(tenant=tenant, lead=lead, actor=admin_user, purposes=["marketing"])

    lead.refresh_from_db()
    assert lead.consent_processing and not lead.consent_marketing
    assert consents.processing_refused(tenant.pk, [lead.pk]) == set()
    with pytest.raises(Suppressed):
        ensure_may_send(tenant, lead, "email", lead.email, marketing=True)


def test_a_new_widget_consent_after_withdrawal_resumes_processing(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    lead = _widget_lead(tenant, django_capture_on_commit_callbacks)
    consents.consent_withdraw(tenant=tenant, lead=lead, actor=admin_user)
    assert consents.processing_refused(tenant.pk, [lead.pk]) == {lead.pk}

    again = _widget_lead(tenant, django_capture_on_commit_callbacks)  # the same person

    assert again.pk == lead.pk
    assert consents.processing_refused(tenant.pk, [lead.pk]) == set()
    latest = ConsentRecord.objects.for_tenant(tenant).filter(lead=lead).first()
    assert latest.granted and latest.version.startswith("widget v")
