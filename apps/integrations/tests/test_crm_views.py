"""The "Integrations → CRM" page and the CRMs' callbacks through the Django test client, and
the issue's "done when": a lead left on the widget becomes a deal in the (fake) amoCRM, and its
status and the deal's stage keep in step both ways."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from apps.billing.tests.helpers import subscribe
from apps.integrations.crm.models import CrmConnection, CrmSyncJob, JobStatus
from apps.integrations.tests.crm_helpers import amo_connect, jobs
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead, TimelineEntry, TimelineKind
from apps.tenants.keys import publishable_key_get_or_create
from apps.tenants.scoping import tenant_scope

HX = {"HTTP_HX_REQUEST": "true"}
ORIGIN = "https://example.com"  # TenantFactory's allowed origin


def _url(tenant, *rest):
    return "/".join([f"/t/{tenant.slug}/crm", *map(str, rest)]) + "/"


def _connection(tenant) -> CrmConnection:
    with tenant_scope(tenant):
        return CrmConnection.objects.for_tenant(tenant).get()


def test_done_when_a_widget_lead_becomes_an_amocrm_deal_kept_in_step_both_ways(
    admin_client_web, on_business, amo, english_ui, client, django_capture_on_commit_callbacks
):
    web, tenant = admin_client_web, on_business
    # given: the admin connects amoCRM on the page, and amoCRM sends them back
    started = web.post(
        _url(tenant, "amocrm"),
        {
            "subdomain": amo.subdomain,
            "client_id": amo.client_id,
            "client_secret": amo.client_secret,
        },
        **HX,
    )
    authorize = started.headers["HX-Redirect"]
    assert authorize.startswith("https://www.amocrm.ru/oauth?client_id=cid&state=")
    state = authorize.split("state=")[1].split("&")[0]
    back = web.get(
        "/crm/amocrm/callback/",
        {"code": amo.authorize(), "state": state, "referer": f"{amo.subdomain}.amocrm.ru"},
    )
    assert back.status_code == 302 and back.url == _url(tenant)
    page = web.get(_url(tenant)).content.decode()
    assert "Connected" in page and "Воронка" in page

    # when: a visitor leaves their details on the widget
    key = publishable_key_get_or_create(tenant).key
    body = {
        "name": "Анна",
        "phone": "+7 916 123-45-67",
        "email": "anna@example.com",
        "consents": {"processing": True},
        "submission_id": str(uuid.uuid4()),
    }
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            f"/api/public/v1/widget/{key}/leads/",
            json.dumps(body),
            content_type="application/json",
            HTTP_ORIGIN=ORIGIN,
        )
    assert answer.status_code == 201

    # then: a contact and a deal in the chosen pipeline's first stage
    with tenant_scope(tenant):
        lead = Lead.objects.for_tenant(tenant).get()
    [(deal_id, deal)] = amo.leads.items()
    assert (deal["pipeline_id"], deal["status_id"]) == (100, 1001)
    assert deal["name"] == f"Анна · FL-{lead.pk}"

    # our status → the deal's stage
    with django_capture_on_commit_callbacks(execute=True):
        web.post(f"/t/{tenant.slug}/leads/{lead.pk}/status/", {"status": "booked"}, **HX)
    assert amo.leads[deal_id]["status_id"] == 1003

    # the deal's stage (a salesperson in amoCRM, a later change) → our status
    event = amo.move(deal_id, 142, at=amo.clock + 3600)
    inbound_url = f"/webhooks/crm/amocrm/{_connection(tenant).inbound_token}/"
    with django_capture_on_commit_callbacks(execute=True):
        hook = client.post(inbound_url, event)
    assert hook.status_code == 200 and hook.json() == {"status": "accepted", "queued": 1}
    with tenant_scope(tenant):
        lead.refresh_from_db()
        entry = (
            TimelineEntry.objects.for_tenant(tenant)
            .filter(lead=lead, kind=TimelineKind.STATUS)
            .latest("pk")
        )
    assert lead.status == "won" and entry.data["via"] == "amoCRM"
    assert amo.leads[deal_id]["status_id"] == 142

    # and the sync log shows each step
    log = web.get(_url(tenant, "log"), **HX).content.decode()
    assert f"Deal {deal_id} created." in log and "Lead status set to" in log


def test_mappings_and_pipeline_are_edited_on_the_page(
    admin_client_web, amo_tenant, amo, english_ui
):
    web, tenant = admin_client_web, amo_tenant
    chosen = web.post(_url(tenant, "pipeline"), {"pipeline_id": "200"}, **HX)
    assert chosen.status_code == 200 and "Pipeline saved" in chosen.content.decode()
    connection = _connection(tenant)
    assert connection.pipeline_id == "200"
    assert connection.status_map["new"] == "2001" and connection.status_map["won"] == "142"

    saved = web.post(_url(tenant, "statuses"), {"new": "2001", "won": "142", "lost": ""}, **HX)
    assert saved.status_code == 200
    assert _connection(tenant).status_map["lost"] == ""
    refused = web.post(_url(tenant, "statuses"), {"new": "999"}, **HX)
    assert refused.status_code == 400

    fields = {
        "name": "contact:name",
        "phone": "contact:PHONE",
        "email": "",
        "company": "",
        "source": "deal:cf_555",
        "comment": "deal:note",
    }
    assert web.post(_url(tenant, "fields"), fields, **HX).status_code == 200
    assert _connection(tenant).field_map["source"] == "deal:cf_555"
    bad = web.post(_url(tenant, "fields"), {**fields, "phone": "PHONE!"}, **HX)
    assert bad.status_code == 400 and "contact:FIELD" in bad.content.decode()


def test_bad_bitrix24_credentials_are_shown_on_the_form(
    admin_client_web, on_business, bitrix, english_ui
):
    wrong = bitrix.webhook_url.replace(bitrix.token, "nope")
    answer = admin_client_web.post(_url(on_business, "bitrix24"), {"webhook_url": wrong}, **HX)
    assert answer.status_code == 400
    assert "Bitrix24 refused our credentials" in answer.content.decode()


def test_a_failed_job_is_retried_from_the_log_and_disconnect_forgets_the_tokens(
    admin_client_web, amo_tenant, amo, english_ui, django_capture_on_commit_callbacks
):
    web, tenant = admin_client_web, amo_tenant
    amo.fail(times=1, status=400)  # a permanent refusal: the job fails at once
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        ingest_leads(tenant=tenant, items=[{"email": "b@example.com"}], source="api")
    [job] = jobs(tenant)
    assert job.status == JobStatus.FAILED
    log = web.get(_url(tenant, "log"), **HX).content.decode()
    assert "Retry" in log

    with django_capture_on_commit_callbacks(execute=True):
        retried = web.post(_url(tenant, "jobs", job.pk, "retry"), **HX)
    assert retried.status_code == 200 and len(amo.leads) == 1
    assert jobs(tenant)[0].status == JobStatus.DONE

    assert web.post(_url(tenant, "disconnect"), **HX).status_code == 200
    assert not CrmConnection.objects.unscoped().filter(tenant=tenant).exists()
    assert not CrmSyncJob.objects.unscoped().filter(tenant=tenant).exists()


def test_operators_are_refused_and_others_get_404(operator_client_web, amo_tenant, outsider):
    assert operator_client_web.get(_url(amo_tenant)).status_code == 403
    stranger = Client()
    stranger.force_login(outsider)
    assert stranger.get(_url(amo_tenant)).status_code == 404


def test_another_companys_job_is_404(admin_client_web, amo_tenant, amo, other_tenant):
    with tenant_scope(other_tenant):
        subscribe(other_tenant, "business")
    amo_connect(other_tenant, amo)
    with tenant_scope(other_tenant):
        foreign = CrmSyncJob.objects.create(
            tenant=other_tenant, connection=_connection(other_tenant), kind="pull", deal_id="1"
        )
    assert admin_client_web.post(_url(amo_tenant, "jobs", foreign.pk, "retry")).status_code == 404


@pytest.mark.parametrize("plan", ["start"])
def test_without_the_tool_the_page_shows_the_lock(admin_client_web, tenant, plan):
    subscribe(tenant, plan)
    page = admin_client_web.get(_url(tenant))
    assert page.status_code == 200 and _url(tenant, "amocrm") not in page.content.decode()
    assert admin_client_web.post(_url(tenant, "amocrm"), {"subdomain": "x"}).status_code == 403


def test_an_unknown_inbound_token_is_404_and_a_bad_callback_is_400(client, db):
    hook = client.post("/webhooks/crm/amocrm/nope/", {"leads[status][0][id]": "1"})
    assert hook.status_code == 404
    assert client.post("/webhooks/crm/bitrix24/nope/", {"event": "x"}).status_code == 404
    assert client.get("/crm/amocrm/callback/", {"state": "x", "code": "y"}).status_code == 400


def test_the_api_tells_the_connection_status_without_credentials(admin_api, amo_tenant, amo):
    body = admin_api.get(f"/api/v1/tenants/{amo_tenant.pk}/crm/connection/").json()
    assert body["connected"] is True and body["provider"] == "amocrm"
    assert (body["account"], body["pipeline_name"]) == ("acme", "Воронка")
    assert body["jobs_failed"] == 0
    assert "access_token" not in json.dumps(body)


def test_the_bitrix24_outbound_token_is_entered_after_connecting(
    admin_client_web, on_business, bitrix, english_ui, client, django_capture_on_commit_callbacks
):
    web, tenant = admin_client_web, on_business
    connected = web.post(_url(tenant, "bitrix24"), {"webhook_url": bitrix.webhook_url}, **HX)
    assert connected.status_code == 200 and "/webhooks/crm/bitrix24/" in connected.content.decode()
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        ingest_leads(tenant=tenant, items=[{"email": "c@example.com"}], source="api")
    deal_id = next(iter(bitrix.deals))
    hook_url = f"/webhooks/crm/bitrix24/{_connection(tenant).inbound_token}/"
    assert client.post(hook_url, bitrix.move(deal_id, "WON")).status_code == 403  # no token yet

    saved = web.post(
        _url(tenant, "bitrix24", "token"), {"application_token": bitrix.app_token}, **HX
    )
    assert saved.status_code == 200 and "Token saved" in saved.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(hook_url, bitrix.move(deal_id, "LOSE", at=bitrix.clock + 3600))
    assert answer.status_code == 200
    with tenant_scope(tenant):
        assert Lead.objects.for_tenant(tenant).get().status == "lost"


def test_a_connection_whose_access_was_refused_is_connected_again_keeping_its_deals(
    admin_client_web, amo_tenant, amo, english_ui, django_capture_on_commit_callbacks
):
    web, tenant = admin_client_web, amo_tenant
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        ingest_leads(tenant=tenant, items=[{"email": "e@example.com"}], source="api")
    amo.expire_access_tokens()
    amo.refresh.clear()  # the access was revoked in amoCRM
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        ingest_leads(tenant=tenant, items=[{"email": "f@example.com"}], source="api")
    page = web.get(_url(tenant)).content.decode()
    assert "Needs attention" in page and "Connect again" in page

    started = web.post(_url(tenant, "amocrm"), {"subdomain": amo.subdomain}, **HX)  # same app
    state = started.headers["HX-Redirect"].split("state=")[1].split("&")[0]
    web.get("/crm/amocrm/callback/", {"code": amo.authorize(), "state": state})

    assert _connection(tenant).state == "connected"
    with tenant_scope(tenant):
        failed = CrmSyncJob.objects.for_tenant(tenant).get(status=JobStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        web.post(_url(tenant, "jobs", failed.pk, "retry"), **HX)
    assert len(amo.leads) == 2  # the first lead's deal kept, the second one's made now
