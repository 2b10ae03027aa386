"""The channels API: admin-only, tenant-scoped, credentials write-only, plan limit, test."""

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from apps.billing.tests.helpers import subscribe
from apps.channels.models import Channel
from apps.channels.tests.conftest import TG_TOKEN, telegram_body
from apps.tenants.scoping import tenant_scope

GET_ME = f"https://api.telegram.org/bot{TG_TOKEN}/getMe"


def _url(tenant, *rest):
    return "/".join([f"/api/v1/tenants/{tenant.pk}/channels", *map(str, rest)]) + "/"


def _create(api, tenant, **overrides):
    response = api.post(_url(tenant), telegram_body(**overrides), format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_connect_stores_credentials_encrypted_and_never_returns_them(admin_api, on_start):
    with capture_logs() as logs:
        body = _create(admin_api, on_start)
        listed = admin_api.get(_url(on_start))

    assert body["kind"] == "telegram" and body["status"] == "new"
    assert body["credentials"] == {"bot_token": "••••9876"}
    for text in (str(body), listed.content.decode(), str(logs)):
        assert TG_TOKEN not in text and "AAFakeBot" not in text
    with tenant_scope(on_start):
        channel = Channel.objects.get(pk=body["id"])
    assert TG_TOKEN not in channel.credentials_encrypted
    assert channel.credentials == {"bot_token": TG_TOKEN}


def test_a_missing_credential_is_named(admin_api, on_start):
    response = admin_api.post(
        _url(on_start),
        {"provider": "whatsapp_cloud", "credentials": {"access_token": "t" * 20}},
        format="json",
    )

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"credentials.app_secret", "settings.phone_number_id"}


def test_an_unknown_provider_is_refused(admin_api, on_start):
    response = admin_api.post(
        _url(on_start), {"provider": "pigeon", "credentials": {}}, format="json"
    )
    assert response.status_code == 400


def test_the_plan_caps_the_number_of_channels(admin_api, on_start):
    _create(admin_api, on_start, name="One")
    _create(admin_api, on_start, name="Two")

    response = admin_api.post(_url(on_start), telegram_body(name="Three"), format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "channel_limit_reached"
    with tenant_scope(on_start):
        assert Channel.objects.count() == 2


def test_operators_and_other_tenants_cannot_see_channels(operator_api, outsider_api, on_start):
    assert operator_api.get(_url(on_start)).status_code == 403
    assert outsider_api.get(_url(on_start)).status_code == 404


@respx.mock
def test_test_connection_ok_marks_connected(admin_api, on_start):
    respx.post(GET_ME).mock(
        return_value=httpx.Response(200, json={"ok": True, "result": {"username": "acme_bot"}})
    )
    channel = _create(admin_api, on_start)

    body = admin_api.post(_url(on_start, channel["id"], "test")).json()

    assert body["status"] == "connected"
    assert body["last_error"] == ""
    assert body["last_tested_at"]
    assert body["settings"]["account"] == "@acme_bot"


@respx.mock
def test_wrong_keys_store_the_providers_message_and_are_not_connected(admin_api, on_start):
    respx.post(GET_ME).mock(
        return_value=httpx.Response(
            401, json={"ok": False, "error_code": 401, "description": "Unauthorized"}
        )
    )
    channel = _create(admin_api, on_start)

    body = admin_api.post(_url(on_start, channel["id"], "test")).json()

    assert body["status"] == "error"
    assert body["last_error"] == "Unauthorized"
    assert body["last_tested_at"]


@respx.mock
def test_a_rate_limit_is_an_error_with_the_providers_words(admin_api, on_start, english_ui):
    respx.post(GET_ME).mock(
        return_value=httpx.Response(
            429,
            headers={"Retry-After": "30"},
            json={"ok": False, "error_code": 429, "description": "Too Many Requests: wait"},
        )
    )
    channel = _create(admin_api, on_start)

    body = admin_api.post(_url(on_start, channel["id"], "test")).json()

    assert body["status"] == "error"
    assert "Too Many Requests" in body["last_error"]


def test_patch_disables_and_replaces_one_credential(admin_api, on_start):
    channel = _create(admin_api, on_start)

    response = admin_api.patch(
        _url(on_start, channel["id"]),
        {"enabled": False, "credentials": {"bot_token": "999:new-token-abcdefgh"}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["enabled"] is False
    assert response.json()["credentials"] == {"bot_token": "••••efgh"}


def test_patch_refuses_an_unknown_field(admin_api, on_start):
    channel = _create(admin_api, on_start)

    response = admin_api.patch(
        _url(on_start, channel["id"]), {"credentials": {"password": "x"}}, format="json"
    )

    assert response.status_code == 400
    assert "credentials.password" in response.json()["error"]["fields"]


def test_delete_removes_the_channel(admin_api, on_start):
    channel = _create(admin_api, on_start)

    assert admin_api.delete(_url(on_start, channel["id"])).status_code == 204
    assert admin_api.delete(_url(on_start, channel["id"])).status_code == 404


@pytest.mark.parametrize("code", ["business"])
def test_business_is_unlimited(admin_api, tenant, code):
    subscribe(tenant, code)
    for i in range(3):
        _create(admin_api, tenant, name=f"Bot {i}")
