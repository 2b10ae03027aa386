"""The webhooks API: admins only, the tool needed, secret shown once, SSRF refused per field,
test event and resend answered 202, another company's ids 404."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.billing.tests.helpers import subscribe
from apps.integrations.models import DeliveryStatus, WebhookEndpoint
from apps.integrations.services import endpoint_create
from apps.tenants.scoping import tenant_scope


def _url(tenant, *rest):
    return "/".join([f"/api/v1/tenants/{tenant.pk}/webhooks", *map(str, rest)]) + "/"


def _create(api, tenant, url, events=("lead.created",)):
    response = api.post(
        _url(tenant, "endpoints"), {"url": url, "events": list(events)}, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_create_shows_the_secret_once_and_stores_it_encrypted(admin_api, on_business, receiver):
    body = _create(admin_api, on_business, receiver.url)

    secret = body["signing_secret"]
    assert secret.startswith("whsec_") and body["secret"] == "••••" + secret[-4:]
    listed = admin_api.get(_url(on_business, "endpoints"))
    assert listed.status_code == 200 and secret not in listed.content.decode()
    one = admin_api.get(_url(on_business, "endpoints", body["id"]))
    assert secret not in one.content.decode()
    with tenant_scope(on_business):
        endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert secret not in endpoint.secret_encrypted and endpoint.secret == secret


def test_private_targets_and_unknown_events_are_field_errors(admin_api, on_business, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = admin_api.post(
        _url(on_business, "endpoints"),
        {"url": "https://169.254.169.254/latest", "events": ["lead.created"]},
        format="json",
    )
    assert response.status_code == 400
    assert "url" in response.json()["error"]["fields"]
    response = admin_api.post(
        _url(on_business, "endpoints"),
        {"url": "https://hooks.example.com/", "events": ["lead.deleted"]},
        format="json",
    )
    assert response.status_code == 400
    assert any(key.startswith("events") for key in response.json()["error"]["fields"])


def test_test_event_reaches_the_receiver_and_the_log(
    admin_api, on_business, receiver, django_capture_on_commit_callbacks
):
    endpoint = _create(admin_api, on_business, receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(_url(on_business, "endpoints", endpoint["id"], "test"))

    assert response.status_code == 202
    assert response.json()["event_type"] == "webhook.test"
    assert len(receiver.requests) == 1
    deliveries = admin_api.get(_url(on_business, "deliveries"), {"endpoint": endpoint["id"]})
    assert deliveries.status_code == 200
    [row] = deliveries.json()["results"]
    assert row["status"] == DeliveryStatus.SUCCEEDED and row["last_status_code"] == 200
    detail = admin_api.get(_url(on_business, "deliveries", row["id"])).json()
    assert detail["payload"]["type"] == "webhook.test"
    assert [a["status_code"] for a in detail["log"]] == [200]


def test_resend_sends_the_same_event_again(
    admin_api, on_business, receiver, django_capture_on_commit_callbacks
):
    endpoint = _create(admin_api, on_business, receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = admin_api.post(_url(on_business, "endpoints", endpoint["id"], "test")).json()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(_url(on_business, "deliveries", delivery["id"], "resend"))

    assert response.status_code == 202
    assert len(receiver.requests) == 2
    ids = {headers["fastlead-event-id"] for headers, _body in receiver.requests}
    assert len(ids) == 1


def test_patch_and_delete(admin_api, on_business, receiver):
    endpoint = _create(admin_api, on_business, receiver.url)
    response = admin_api.patch(
        _url(on_business, "endpoints", endpoint["id"]),
        {"events": ["lead.updated", "meeting.booked"], "enabled": False},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["events"] == ["lead.updated", "meeting.booked"]
    assert response.json()["enabled"] is False
    assert admin_api.delete(_url(on_business, "endpoints", endpoint["id"])).status_code == 204
    assert admin_api.get(_url(on_business, "endpoints", endpoint["id"])).status_code == 404


def test_operators_and_analysts_are_refused(operator_api, analyst_api, on_business):
    for api in (operator_api, analyst_api):
        assert api.get(_url(on_business, "endpoints")).status_code == 403


def test_another_company_sees_nothing(admin_api, on_business, outsider_api, receiver):
    endpoint = _create(admin_api, on_business, receiver.url)
    assert outsider_api.get(_url(on_business, "endpoints")).status_code == 404
    assert outsider_api.get(_url(on_business, "endpoints", endpoint["id"])).status_code == 404


def test_without_the_tool_the_api_is_locked(admin_api, tenant):
    subscribe(tenant, "start")
    response = admin_api.get(_url(tenant, "endpoints"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "feature_locked"


@pytest.mark.parametrize("query", ["status=nope", "endpoint=0", "endpoint=x", "limit=0"])
def test_bad_delivery_filters_are_400(admin_api, on_business, query):
    response = admin_api.get(_url(on_business, "deliveries") + "?" + query)
    assert response.status_code == 400


def test_secrets_rotate_to_a_new_key(settings, on_business, capsys):
    key_a, key_b = "a" * 43 + "=", "b" * 43 + "="
    settings.FIELD_ENCRYPTION_KEYS = [key_a]
    with tenant_scope(on_business):
        endpoint, secret = endpoint_create(
            tenant=on_business, actor=None, url="https://1.1.1.1/x", events=["lead.created"]
        )
    settings.FIELD_ENCRYPTION_KEYS = [key_b, key_a]
    call_command("webhooks_reencrypt")
    settings.FIELD_ENCRYPTION_KEYS = [key_b]  # the old key dropped
    with tenant_scope(on_business):
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == secret
    assert "1 webhook endpoint" in capsys.readouterr().out
