"""Signed source tokens: HyroPage's source is accepted only from a valid token for the same
tenant, sent from Fast Lead's own origin; the API and imports never accept it."""

import json

import pytest
from django.core import signing

from apps.leads.ingestion import ingest_leads
from apps.leads.models import Lead
from apps.leads.source_tokens import SALT, source_token_make, source_token_read
from apps.tenants.keys import publishable_key_get_or_create
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

BODY = {"name": "Анна", "phone": "+7 916 123-45-67", "consents": {"processing": True}}


def _submit(client, tenant, token, origin="http://testserver"):
    key = publishable_key_get_or_create(tenant).key
    return client.post(
        f"/api/public/v1/widget/{key}/leads/",
        json.dumps({**BODY, "source_token": token}),
        content_type="application/json",
        HTTP_ORIGIN=origin,
    )


def _source(tenant) -> str:
    with tenant_scope(tenant):
        return Lead.objects.get().source


def test_a_valid_token_from_fastleads_origin_sets_the_source(client, tenant):
    token = source_token_make(tenant.pk, "hyropage", "7")
    assert _submit(client, tenant, token).status_code == 201
    assert _source(tenant) == "hyropage"
    with tenant_scope(tenant):
        assert Lead.objects.get().actions.get().metadata["hyropage_ref"] == "7"


def test_another_tenants_token_is_ignored(client, tenant, other_tenant):
    token = source_token_make(other_tenant.pk, "hyropage", "7")
    assert _submit(client, tenant, token).status_code == 201
    assert _source(tenant) == "widget"


def test_a_token_sent_from_the_tenants_own_site_is_ignored(client, tenant):
    token = source_token_make(tenant.pk, "hyropage", "7")
    assert _submit(client, tenant, token, origin="https://example.com").status_code == 201
    assert _source(tenant) == "widget"


def test_a_token_for_another_source_or_expired_is_refused(tenant):
    forged = signing.dumps({"t": str(tenant.pk), "s": "api", "r": "1"}, salt=SALT)
    assert source_token_read(forged, tenant.pk) is None
    assert source_token_read("garbage", tenant.pk) is None
    with pytest.raises(ValueError):
        source_token_make(tenant.pk, "widget", "1")


def test_the_api_cannot_claim_the_hyropage_source(tenant):
    outcome = ingest_leads(
        tenant=tenant, items=[{"email": "a@example.com", "source": "hyropage"}], source="api"
    )
    assert outcome.results[0].status == "rejected"
    assert "source" in outcome.results[0].errors
