"""The helpdesk webhook: signatures (generic, Zendesk, Help Scout), the providers' documented
payloads, idempotency, the locked tool, bad input; and the adapters' parsing on their own."""

import json
from pathlib import Path

import pytest

from apps.features.services import tenant_feature_set
from apps.tenants.scoping import tenant_scope
from apps.upsell.helpdesk import (
    HELPSCOUT_HEADER,
    ZENDESK_HEADER,
    ZENDESK_TS_HEADER,
    helpscout_signature,
    helpscout_ticket,
    zendesk_signature,
    zendesk_ticket,
)
from apps.upsell.models import Ticket, UpsellCase
from apps.upsell.tests.conftest import classification_requests, draft_answer, high, ticket

pytestmark = pytest.mark.django_db
PAYLOADS = Path(__file__).parent / "payloads"


def _raw(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def _url(helpdesk) -> str:
    return f"/webhooks/helpdesk/{helpdesk.token}/"


def test_a_wrong_signature_is_403_and_stores_nothing(client, tenant, helpdesk):
    response = helpdesk(client, ticket(), signed_with="not-the-secret")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    with tenant_scope(tenant):
        assert not Ticket.objects.exists()


def test_an_unknown_token_is_404(client, tenant, helpdesk):
    response = client.post("/webhooks/helpdesk/nope/", data=b"{}", content_type="application/json")
    assert response.status_code == 404


def test_a_signed_body_without_a_ticket_id_is_400(client, tenant, helpdesk):
    response = helpdesk(client, {"ticket": {"subject": "no id"}})
    assert response.status_code == 400


def test_the_locked_tool_refuses_the_ticket(client, tenant, helpdesk):
    tenant_feature_set(tenant=tenant, feature="upsell", mode="revoke", reason="test")
    response = helpdesk(client, ticket())
    assert response.status_code == 403 and response.json()["error"]["code"] == "feature_locked"
    with tenant_scope(tenant):
        assert not Ticket.objects.exists()


def test_zendesk_ticket_event_is_verified_and_stored(
    client, tenant, helpdesk, fake_anthropic, django_capture_on_commit_callbacks
):
    fake_anthropic.ok(high())
    body, timestamp = _raw("zendesk_ticket_created.json"), "2025-01-08T10:12:08Z"
    headers = {
        ZENDESK_HEADER: zendesk_signature(helpdesk.secret, timestamp, body),
        ZENDESK_TS_HEADER: timestamp,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(helpdesk), data=body, content_type="application/json", headers=headers
        )
    assert response.status_code == 202, response.content
    with tenant_scope(tenant):
        row = Ticket.objects.get()
        assert (row.source, row.external_id, row.status) == ("zendesk", "5158", "open")
        assert row.tags == ["tag_1", "tag_2"] and "2,000-lead" in row.body
        # Zendesk's event carries no requester contact: classified, but nobody to reach
        assert row.classification_status == "done" and "no e-mail or phone" in (
            row.classification_error
        )
        assert not UpsellCase.objects.exists()


def test_zendesk_signature_over_another_timestamp_is_refused(client, tenant, helpdesk):
    body = _raw("zendesk_ticket_created.json")
    headers = {
        ZENDESK_HEADER: zendesk_signature(helpdesk.secret, "1", body),
        ZENDESK_TS_HEADER: "2",
    }
    response = client.post(
        _url(helpdesk), data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == 403


def test_help_scout_conversation_becomes_a_case(
    client, tenant, helpdesk, catalogue, fake_anthropic, django_capture_on_commit_callbacks
):
    fake_anthropic.ok(high())
    body = _raw("helpscout_convo_created.json")
    headers = {
        HELPSCOUT_HEADER: helpscout_signature(helpdesk.secret, body),
        "X-HelpScout-Event": "convo.created",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(helpdesk), data=body, content_type="application/json", headers=headers
        )
    assert response.status_code == 202
    with tenant_scope(tenant):
        case = UpsellCase.objects.select_related("ticket", "lead").get()
    assert case.ticket.source == "helpscout" and case.ticket.external_id == "10"
    assert case.ticket.requester_name == "Vera Ivanova"
    assert case.lead.email == "vera@romashka.ru"


def test_adapters_read_the_documented_fields():
    zd = zendesk_ticket(json.loads(_raw("zendesk_ticket_created.json")))
    assert (zd.external_id, zd.subject, zd.status) == ("5158", "Lead limit", "open")
    hs = helpscout_ticket(json.loads(_raw("helpscout_convo_created.json")))
    assert hs.tags == ["billing"] and hs.requester_email == "vera@romashka.ru"
    assert hs.body.startswith("We are hitting") and hs.opened_at.year == 2026


def test_a_changed_ticket_is_classified_again_once(
    client, tenant, helpdesk, fake_anthropic, django_capture_on_commit_callbacks
):
    fake_anthropic.ok(high()).ok(draft_answer()).ok(high())
    for text in ("first text", "first text", "second text"):
        with django_capture_on_commit_callbacks(execute=True):
            helpdesk(client, ticket(text=text))
    assert len(classification_requests(fake_anthropic)) == 2
    with tenant_scope(tenant):
        assert Ticket.objects.get().classifications.count() == 2
