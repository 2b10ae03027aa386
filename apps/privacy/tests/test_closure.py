"""Closing a company: the subscription ends with its period, the company is read-only for 30
days (pages and API refuse writes with a clear message), then the beat task deletes it for
good, leaving the platform audit row; staff can restore it before that."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.test import Client, RequestFactory
from django.utils import timezone

from apps.billing.models import Subscription
from apps.billing.tests.helpers import subscribe
from apps.core.personal_data import processing_refused
from apps.leads.models import Lead
from apps.messaging.errors import Suppressed
from apps.messaging.inbound import webhook_process
from apps.messaging.models import Message
from apps.messaging.policy import ensure_may_send
from apps.messaging.tests.fakes import make_channel
from apps.privacy.admin import TenantClosureAdmin
from apps.privacy.models import ClosureStatus, TenantClosure
from apps.privacy.services import closure
from apps.privacy.tasks import delete_closed_companies_task
from apps.privacy.tests.seed import make_canary, seed_lead
from apps.tenants import keys
from apps.tenants.models import AuditAction, AuditLogEntry, Tenant
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def test_closing_cancels_the_subscription_at_period_end_and_is_audited(tenant, admin_user):
    subscription = subscribe(tenant, "pro")

    result = closure.company_close(tenant=tenant, actor=admin_user)

    subscription = Subscription.objects.for_tenant(tenant).get(pk=subscription.pk)
    assert subscription.cancel_at_period_end
    assert result.status == ClosureStatus.CLOSED
    assert result.delete_after - result.closed_at == timedelta(days=30)
    entry = AuditLogEntry.objects.for_tenant(tenant).get(action=AuditAction.COMPANY_CLOSED)
    assert entry.after["subscription"] == "done"


def test_a_closed_company_is_read_only_on_pages_and_api(
    tenant, admin_user, admin_client_web, admin_api, english_ui
):
    closure.company_close(tenant=tenant, actor=admin_user)

    page = admin_client_web.post(f"/t/{tenant.slug}/privacy/retention/", {})
    api = admin_api.post(f"/api/v1/tenants/{tenant.pk}/leads/", {"email": "a@b.test"}, "json")
    read = admin_client_web.get(f"/t/{tenant.slug}/leads/")
    export = admin_client_web.post(f"/t/{tenant.slug}/privacy/export/")

    assert page.status_code == 403 and "read-only" in page.content.decode()
    assert api.status_code == 403 and api.json()["error"]["code"] == "company_closed"
    assert read.status_code == 200
    assert export.status_code == 302  # the export stays open while closed
    assert not Lead.objects.for_tenant(tenant).exists()


def test_an_outsider_gets_no_hint_that_a_company_is_closed(tenant, admin_user, outsider_api):
    closure.company_close(tenant=tenant, actor=admin_user)

    answer = outsider_api.post(f"/api/v1/tenants/{tenant.pk}/leads/", {"email": "a@b.test"}, "json")

    assert answer.status_code == 404


def test_the_beat_deletes_the_company_after_30_days_and_the_audit_keeps_it(
    tenant, admin_user, other_tenant, monkeypatch
):
    canary = make_canary()
    seed_lead(tenant, canary)
    seed_lead(other_tenant, make_canary(), n=1)
    result = closure.company_close(tenant=tenant, actor=admin_user)

    # a day early: nothing happens
    assert closure.closed_companies_delete(now=result.delete_after - timedelta(days=1)) == 0
    assert Tenant.objects.filter(pk=tenant.pk).exists()

    # when the 30 days are over
    later = result.delete_after + timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert delete_closed_companies_task() == 1

    # then the company and its data are gone, the other company is untouched
    assert not Tenant.objects.filter(pk=tenant.pk).exists()
    assert not Lead.objects.unscoped().filter(tenant_id=tenant.pk).exists()
    assert Lead.objects.unscoped().filter(tenant=other_tenant).count() == 1
    gone = AuditLogEntry.objects.unscoped().get(action=AuditAction.COMPANY_DELETED)
    assert gone.tenant_id is None and gone.target_id == str(tenant.pk)
    assert gone.after["slug"] == tenant.slug
    assert delete_closed_companies_task() == 0  # idempotent


def test_staff_restore_a_closed_company_from_the_admin(tenant, admin_user, django_user_model):
    subscription = subscribe(tenant, "pro")
    closure.company_close(tenant=tenant, actor=admin_user)
    staff = django_user_model.objects.create_user(
        email="staff@fastlead.test", password="x-Pass-12345", is_staff=True, is_superuser=True
    )
    request = RequestFactory().post("/admin/")
    request.user = staff
    request._messages = type("M", (), {"add": lambda *a, **k: None})()

    TenantClosureAdmin(TenantClosure, site).restore(
        request, TenantClosure.objects.unscoped().filter(tenant=tenant)
    )

    record = TenantClosure.objects.unscoped().get(tenant=tenant)
    assert record.status == ClosureStatus.RESTORED and record.restored_by == staff
    assert not closure.tenant_is_closed(tenant.pk)
    assert not Subscription.objects.for_tenant(tenant).get(pk=subscription.pk).cancel_at_period_end
    assert closure.closed_companies_delete(now=timezone.now() + timedelta(days=31)) == 0
    assert Tenant.objects.filter(pk=tenant.pk).exists()


def test_a_closed_company_messages_and_enriches_no_one(tenant, admin_user):
    lead = seed_lead(tenant, make_canary())
    assert processing_refused(tenant.pk, [lead.pk]) == set()

    closure.company_close(tenant=tenant, actor=admin_user)

    assert processing_refused(tenant.pk, [lead.pk]) == {lead.pk}
    with pytest.raises(Suppressed):
        ensure_may_send(tenant, lead, "email", lead.email)


def test_the_widget_of_a_closed_company_takes_no_submission(tenant, admin_user):
    tenant.allowed_origins = ["https://example.com"]
    tenant.save()
    subscribe(tenant, "pro")
    url = f"/api/public/v1/widget/{keys.publishable_key_get_or_create(tenant).key}/leads/"
    visitor = Client(HTTP_ORIGIN="https://example.com")
    form = {"email": "visitor@example.com", "consents": {"processing": True}}
    assert visitor.post(url, form, "application/json").status_code == 201

    closure.company_close(tenant=tenant, actor=admin_user)

    refused = visitor.post(url, {**form, "email": "late@example.com"}, "application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "form_unavailable"
    assert Lead.objects.for_tenant(tenant).count() == 1


def test_a_closed_company_stores_no_inbound_message_or_new_lead(tenant, admin_user):
    channel = make_channel(tenant)
    item = {"sender": "555001", "sender_name": "Олег", "text": "Здравствуйте"}
    with tenant_scope(tenant):  # as the channel's webhook task runs
        first = webhook_process(
            tenant, channel.pk, {"inbound": [{**item, "provider_message_id": "1"}]}
        )
    assert first["stored"] == 1

    closure.company_close(tenant=tenant, actor=admin_user)
    with tenant_scope(tenant):
        late = webhook_process(
            tenant, channel.pk, {"inbound": [{**item, "provider_message_id": "2"}]}
        )

    assert late["stored"] == 0
    assert Message.objects.for_tenant(tenant).count() == 1
    assert Lead.objects.for_tenant(tenant).count() == 1
