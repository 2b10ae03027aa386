"""The widget configurator: model/service validation, the public config per language,
required fields enforced on submission, cache invalidation by version, the API and the page."""

import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from apps.leads.models import WidgetConfig
from apps.leads.tests.conftest import WIDGET_ORIGIN as ORIGIN
from apps.leads.tests.conftest import url
from apps.leads.widget_config import public_config, widget_config_get, widget_config_save
from apps.tenants.models import AuditLogEntry


def config_url(key):
    return f"/api/public/v1/widget/{key}/"


def test_save_bumps_the_version_and_audits(tenant, admin_user):
    first = widget_config_get(tenant)
    assert first.version == 1
    saved = widget_config_save(tenant, actor=admin_user, data={"title_ru": "Напишите нам"})
    assert saved.version == 2 and saved.title_ru == "Напишите нам"
    entry = AuditLogEntry.objects.unscoped().get(action="widget_config_changed")
    assert entry.after == {"title_ru": "Напишите нам", "version": 2}
    assert entry.before == {"title_ru": ""}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"primary_color": "blue"}, "primary_color"),
        ({"text_color": "#12345"}, "text_color"),
        ({"time_zone": "Mars/Base"}, "time_zone"),
        ({"work_days": [7]}, "work_days"),
        ({"field_email": "hidden", "field_phone": "hidden"}, "field_email"),
        ({"hours_enabled": True, "work_from": "18:00", "work_to": "09:00"}, "work_to"),
        ({"position": "top"}, "position"),
    ],
)
def test_invalid_settings_are_refused_per_field_and_nothing_is_written(
    tenant, admin_user, data, field
):
    with pytest.raises(ValidationError) as error:
        widget_config_save(tenant, actor=admin_user, data=data)
    assert field in error.value.message_dict
    assert WidgetConfig.objects.unscoped().get(tenant=tenant).version == 1
    assert not AuditLogEntry.objects.unscoped().filter(action="widget_config_changed").exists()


def test_public_config_per_language_with_defaults_and_overrides(tenant, admin_user):
    widget_config_save(
        tenant,
        actor=admin_user,
        data={
            "title_en": "Talk to us",
            "primary_color": "#ff0000",
            "position": "bottom-left",
            "field_phone": "required",
            "field_message": "hidden",
            "marketing_enabled": False,
            "policy_url": "https://shop.example/privacy",
        },
    )
    en = public_config(str(tenant.pk), "Acme", "en")
    ru = public_config(str(tenant.pk), "Acme", "ru")
    assert en["texts"]["title"] == "Talk to us" and en["texts"]["button"] == "Send"
    assert ru["texts"]["title"] == "Оставьте заявку" and ru["texts"]["button"] == "Отправить"
    assert en["colors"] == {"primary": "#ff0000", "text": "#1d2939"}
    assert en["position"] == "bottom-left" and en["policy_url"] == "https://shop.example/privacy"
    assert [(f["name"], f["required"]) for f in en["fields"]] == [
        ("name", False),
        ("email", False),
        ("phone", True),
    ]
    assert ru["fields"][0]["label"] == "Имя"
    assert en["require_one_of"] == []  # the phone is required anyway
    assert set(en["consents"]) == {"processing"}
    assert "Acme" in ru["consents"]["processing"]["text"]


def test_out_of_hours_message_in_the_tenants_time_zone(tenant, admin_user):
    widget_config_save(
        tenant,
        actor=admin_user,
        data={"hours_enabled": True, "work_days": [0, 1, 2, 3, 4], "time_zone": "Europe/Moscow"},
    )
    monday_noon_moscow = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
    monday_night_moscow = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)  # 19:00 in Moscow
    saturday = datetime(2026, 12, 12, 9, 0, tzinfo=UTC)
    assert public_config(str(tenant.pk), "A", "en", monday_noon_moscow)["open"] is True
    closed = public_config(str(tenant.pk), "A", "en", monday_night_moscow)
    assert closed["open"] is False and "offline" in closed["texts"]["offline"]
    assert public_config(str(tenant.pk), "A", "ru", saturday)["texts"]["offline"]


def test_public_endpoint_serves_the_config_and_a_save_invalidates_the_cache(
    client, site, publishable_key, admin_user, django_capture_on_commit_callbacks
):
    first = client.get(config_url(publishable_key), {"lang": "en"}, HTTP_ORIGIN=ORIGIN).json()
    assert first["texts"]["title"] == "Leave a request" and first["version"] == 0
    assert (
        client.get(config_url(publishable_key), {"lang": "ru"}, HTTP_ORIGIN=ORIGIN).json()["texts"][
            "title"
        ]
        == "Оставьте заявку"
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        widget_config_save(site, actor=admin_user, data={"title_en": "Hello there"})
    # until the save commits, the cached copy (version 0) is still served
    stale = client.get(config_url(publishable_key), {"lang": "en"}, HTTP_ORIGIN=ORIGIN).json()
    assert stale["version"] == 0
    for callback in callbacks:
        callback()
    # once committed, the cached copy is dropped, so the new version is served
    body = client.get(config_url(publishable_key), {"lang": "en"}, HTTP_ORIGIN=ORIGIN).json()
    assert body["texts"]["title"] == "Hello there" and body["version"] == 2


def _submit(client, key, body):
    return client.post(
        f"/api/public/v1/widget/{key}/leads/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
    )


def test_required_fields_are_enforced_server_side(client, site, publishable_key, admin_user):
    widget_config_save(
        site, actor=admin_user, data={"field_name": "required", "field_message": "required"}
    )
    body = {"email": "a@example.com", "consents": {"processing": True}}
    response = _submit(client, publishable_key, body)
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"name", "message"}
    ok = _submit(client, publishable_key, {**body, "name": "Ann", "message": "Hi"})
    assert ok.status_code == 201


def test_a_foreign_site_gets_a_readable_explanation(client, site, publishable_key):
    response = client.get(config_url(publishable_key), HTTP_ORIGIN="https://other.example")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert response["Access-Control-Allow-Origin"] == "https://other.example"
    assert "texts" not in response.json()


# --- API --------------------------------------------------------------------------------------


def test_api_get_and_put(admin_api, tenant):
    api = url("api-widget-config", tenant)
    assert admin_api.get(api).json()["version"] == 1
    response = admin_api.put(api, {"title_ru": "Связаться", "work_days": [0, 2]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2 and response.json()["work_days"] == [0, 2]


def test_api_takes_working_hours_as_hh_mm(admin_api, tenant):
    api = url("api-widget-config", tenant)
    body = {"hours_enabled": True, "work_from": "09:00", "work_to": "18:30"}
    response = admin_api.put(api, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["work_from"] == "09:00" and response.json()["work_to"] == "18:30"


def test_api_validates_per_field(admin_api, tenant):
    api = url("api-widget-config", tenant)
    response = admin_api.put(
        api,
        {"primary_color": "red", "work_days": [9], "position": "x", "work_from": "0"},
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"primary_color", "position", "work_from"} <= set(fields)
    assert any(name.startswith("work_days") for name in fields)
    both_hidden = admin_api.put(
        api, {"field_email": "hidden", "field_phone": "hidden"}, format="json"
    )
    assert both_hidden.status_code == 400
    assert "field_email" in both_hidden.json()["error"]["fields"]


def test_api_refuses_wrong_json_types_and_unknown_fields(admin_api, tenant):
    api = url("api-widget-config", tenant)
    wrong_type = admin_api.put(api, {"marketing_en": -1.7e22}, format="json")
    assert wrong_type.status_code == 400 and "marketing_en" in wrong_type.json()["error"]["fields"]
    unknown = admin_api.put(api, {"colour": "red"}, format="json")
    assert unknown.status_code == 400 and "colour" in unknown.json()["error"]["fields"]
    assert admin_api.get(api).json()["version"] == 1  # nothing saved


def test_api_put_is_for_admins(operator_api, analyst_api, tenant):
    api = url("api-widget-config", tenant)
    assert analyst_api.get(api).status_code == 200
    assert operator_api.put(api, {"title_ru": "x"}, format="json").status_code == 403


# --- the page -----------------------------------------------------------------------------------


def page(name, tenant):
    return f"/t/{tenant.slug}/widget/" + {"widget": "", "settings": "settings/"}[name]


def test_admin_edits_the_widget_on_the_page(admin_client_web, tenant, english_ui):
    html = admin_client_web.get(page("widget", tenant)).content.decode()
    assert "Widget settings" in html and 'id="widget-preview"' in html
    assert 'type="checkbox" name="marketing_enabled"' in html
    assert 'id="widget-snippet"' in html
    form = {
        name: value
        for name, value in {
            "title_ru": "Привет",
            "primary_color": "#00aa00",
            "text_color": "#111111",
            "position": "bottom-right",
            "field_name": "required",
            "field_phone": "optional",
            "field_email": "optional",
            "field_message": "optional",
            "marketing_enabled": "on",
            "work_days": ["0", "1"],
            "work_from": "09:00",
            "work_to": "18:00",
            "time_zone": "Europe/Moscow",
        }.items()
    }
    response = admin_client_web.post(page("settings", tenant), form)
    assert response.status_code == 302
    config = WidgetConfig.objects.unscoped().get(tenant=tenant)
    assert config.title_ru == "Привет" and config.version == 2 and config.work_days == [0, 1]
    bad = admin_client_web.post(page("settings", tenant), {**form, "primary_color": "green"})
    assert bad.status_code == 400 and "#RRGGBB" in bad.content.decode()


def test_others_read_only(operator_client_web, tenant, english_ui):
    html = operator_client_web.get(page("widget", tenant)).content.decode()
    assert "Only administrators can change the widget." in html and "disabled" in html
    assert operator_client_web.post(page("settings", tenant), {}).status_code == 403


def test_preview_page_holds_the_real_script(analyst_client_web, tenant, publishable_key):
    response = analyst_client_web.get(f"/t/{tenant.slug}/widget/preview/?lang=en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/widget/fastlead.js" in html and publishable_key in html
    assert 'data-lang="en"' in html
