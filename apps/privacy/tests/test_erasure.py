"""Erasure of a lead leaves nothing personal in the database: the lead is seeded with a canary
in every place a person's data can live, erased, then every text and JSON column of every
table is searched for it (the approach of tests/security/test_pii_canary.py, on the database)."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core import mail
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import models

from apps.core import private_files
from apps.core.personal_data import personal_data_entries
from apps.leads.models import ImportJob, LeadExport
from apps.payperlead.models import BillingLine
from apps.privacy.models import PersonalDataRequest
from apps.privacy.services import consents, people
from apps.privacy.tests.seed import make_canary, seed_lead
from apps.tenants.models import AuditAction, AuditLogEntry

pytestmark = pytest.mark.django_db
TEXT = (models.CharField, models.TextField, models.JSONField)


def canary_hits(canary) -> list[str]:
    """Every (table.column) in the database whose value shows the canary."""
    needles = (canary["token"], canary["digits"])
    hits = []
    for model in apps.get_models():
        columns = [f.attname for f in model._meta.concrete_fields if isinstance(f, TEXT)]
        if not columns:
            continue
        for row in model._base_manager.values_list("pk", *columns).iterator():
            for name, value in zip(columns, row[1:], strict=True):
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                if any(needle in (text or "") for needle in needles):
                    hits.append(f"{model._meta.db_table}.{name} #{row[0]}")
    return hits


def test_the_seed_puts_the_canary_in_every_registered_place(tenant):
    canary = make_canary()
    seed_lead(tenant, canary)
    tables = {hit.split(".")[0] for hit in canary_hits(canary)}
    registered = {e.model._meta.db_table for e in personal_data_entries() if e.lead or e.find}
    seeded_but_unregistered = tables - registered
    assert not seeded_but_unregistered
    # every lead place of the registry holds the canary before erasure
    lead_places = {e.model._meta.db_table for e in personal_data_entries() if e.lead or e.find}
    lead_places -= {"tenants_invitation"}  # found by a user's address only
    lead_places -= {"leads_importjob", "leads_leadexport"}  # files: a test of their own
    assert lead_places <= tables


def test_erasing_a_lead_leaves_the_canary_in_no_column(tenant, admin_user, other_tenant):
    # given a lead with the canary everywhere, and another company's lead with its own data
    canary, other = make_canary(), make_canary()
    lead = seed_lead(tenant, canary)
    seed_lead(other_tenant, other, n=1)
    assert canary_hits(canary)

    # when the lead is erased
    record = people.lead_erase(tenant=tenant, lead=lead, actor=admin_user)

    # then the canary is nowhere, the other company's lead is untouched
    assert canary_hits(canary) == []
    assert len(canary_hits(other)) > 10
    assert record.summary["leads.lead"] == 1
    assert record.summary["messaging.message"] == 1


def test_erasure_keeps_money_records_without_the_person(tenant, admin_user):
    canary = make_canary()
    lead = seed_lead(tenant, canary)

    people.lead_erase(tenant=tenant, lead=lead, actor=admin_user)

    line = BillingLine.objects.unscoped().get(lead=lead)
    assert (line.value, line.billed) == (100, 100)
    assert line.person_key == f"erased:{lead.pk}"
    assert line.lead_ref == ""
    lead.refresh_from_db()
    assert lead.email == "" and lead.name == "[erased]" and not lead.consent_processing


def test_erasure_is_audited_refuses_processing_and_sends_a_receipt(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    canary = make_canary()
    lead = seed_lead(tenant, canary)

    with django_capture_on_commit_callbacks(execute=True):
        record = people.lead_erase(tenant=tenant, lead=lead, actor=admin_user)

    audit = AuditLogEntry.objects.unscoped().get(action=AuditAction.PERSONAL_DATA_ERASED)
    assert audit.target_id == str(lead.pk) and audit.actor == admin_user
    assert audit.after["places"]["leads.lead"] == 1
    assert consents.processing_refused(tenant.pk, [lead.pk]) == {lead.pk}
    assert PersonalDataRequest.objects.for_tenant(tenant).get(pk=record.pk).kind == "erasure"
    assert len(mail.outbox) == 1
    receipt = mail.outbox[0]
    assert receipt.to == [admin_user.email]
    assert f"№{lead.pk}" in receipt.subject  # in the user's language (Russian)
    assert "messaging.message: 1" in receipt.body
    assert canary["token"] not in receipt.body


def test_a_failure_midway_leaves_nothing_half_erased(tenant, admin_user, monkeypatch):
    canary = make_canary()
    lead = seed_lead(tenant, canary)
    before = canary_hits(canary)

    def broken(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(people, "audit_record", broken)
    with pytest.raises(RuntimeError):
        people.lead_erase(tenant=tenant, lead=lead, actor=admin_user)

    assert sorted(canary_hits(canary)) == sorted(before)
    assert not PersonalDataRequest.objects.for_tenant(tenant).exists()


def test_erasing_a_user_anonymizes_the_account_and_keeps_the_audit_rows(
    tenant, admin_user, django_user_model
):
    email = admin_user.email
    audit_record_before = AuditLogEntry.objects.unscoped().filter(actor=admin_user).count()

    people.user_erase(user=admin_user, actor=None)

    admin_user.refresh_from_db()
    assert admin_user.email == f"erased-{admin_user.pk}@erased.invalid"
    assert not admin_user.is_active and not admin_user.has_usable_password()
    rows = AuditLogEntry.objects.unscoped().filter(actor=admin_user)
    assert rows.count() == audit_record_before
    assert not any(email in (row.actor_label or "") for row in rows)


def test_erasure_deletes_the_import_and_export_files_that_name_the_person(
    tenant, admin_user, django_capture_on_commit_callbacks
):
    canary = make_canary()
    lead = seed_lead(tenant, canary)
    naming = f"email;phone\n{canary['email']};{canary['phone']}\n".encode()
    job = ImportJob.objects.create(
        tenant=tenant, created_by=admin_user, original_name="a.csv", format="csv",
        file=ContentFile(naming, name="naming.csv"),
        report=ContentFile(b"row,error\n", name="naming-report.csv"),
    )  # fmt: skip
    other = ImportJob.objects.create(
        tenant=tenant, created_by=admin_user, original_name="b.csv", format="csv",
        file=ContentFile(b"email\nsomeone@else.test\n", name="other.csv"),
    )  # fmt: skip
    private_files.save_bytes("exports/x/leads-1.csv", b"phone\n8 (" + canary["digits"][:3].encode()
                             + b") " + canary["digits"][3:].encode() + b"\n")  # fmt: skip
    export = LeadExport.objects.create(
        tenant=tenant, format="csv", file="exports/x/leads-1.csv", created_by=admin_user
    )
    names = (job.file.name, job.report.name, export.file)

    with django_capture_on_commit_callbacks(execute=True):
        record = people.lead_erase(tenant=tenant, lead=lead, actor=admin_user)

    job.refresh_from_db()
    export.refresh_from_db()
    assert job.file.name == "" and export.file == ""
    assert not any(private_files.exists(name) for name in names)
    assert ImportJob.objects.unscoped().get(pk=other.pk).file.name  # names someone else
    assert record.summary["leads.importjob"] == 1 and record.summary["leads.leadexport"] == 1


def test_staff_erase_a_user_with_the_command(admin_user):
    with pytest.raises(CommandError):
        call_command("erase_user", admin_user.pk)
    call_command("erase_user", admin_user.pk, "--yes")

    admin_user.refresh_from_db()
    assert admin_user.email.endswith("@erased.invalid") and not admin_user.is_active
