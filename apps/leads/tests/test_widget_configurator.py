"""The configurator's remainder: channel choices through the registry, quick replies and
images in the public form, the visitor's channel choice, the live preview's draft endpoint,
optimistic locking (service, API 409, the page's conflict screen), and the script's size."""

import gzip
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from apps.channels.models import Channel, ChannelStatus
from apps.core.errors import Conflict
from apps.leads.models import Lead, WidgetConfig
from apps.leads.tests.conftest import WIDGET_ORIGIN as ORIGIN
from apps.leads.tests.conftest import url
from apps.leads.widget_channels import (
    channel_choices,
    register_channel_choices,
    unregister_channel_choices,
)
from apps.leads.widget_config import public_config, widget_config_get, widget_config_save
from apps.tenants.scoping import tenant_scope

FORM = {
    "title_ru": "Привет",
    "primary_color": "#00aa00",
    "text_color": "#111111",
    "position": "bottom-right",
    "field_name": "optional",
    "field_phone": "optional",
    "field_email": "optional",
    "field_message": "optional",
    "work_from": "09:00",
    "work_to": "18:00",
    "time_zone": "Europe/Moscow",
    "quick_replies_ru": "Сколько стоит?\nДоставка",
}


@pytest.fixture
def offered():
    """A channel provider as an upper app would register (tenant id → connected channels)."""

    def provider(tenant_id):
        return [("telegram", "Telegram"), ("sms", "SMS")]

    register_channel_choices(provider)
    cache.clear()
    yield provider
    unregister_channel_choices(provider)


def test_public_form_has_quick_replies_chosen_channels_and_images(tenant, admin_user, offered):
    widget_config_save(
        tenant,
        actor=admin_user,
        data={
            "quick_replies_en": "Price?\n\n Delivery \n" + "\n".join(f"q{i}" for i in range(9)),
            "channels": ["telegram", "whatsapp"],  # whatsapp is not connected (any more)
        },
    )
    WidgetConfig.objects.unscoped().filter(tenant=tenant).update(logo="t/logo.png")
    cache.clear()
    en = public_config(str(tenant.pk), "Acme", "en")
    assert en["quick_replies"] == ["Price?", "Delivery", "q0", "q1", "q2", "q3"]
    assert en["channels"] == [{"key": "telegram", "label": "Telegram"}]
    assert en["logo_url"] == f"{settings.SITE_URL}/api/public/v1/widget-assets/t/logo.png"
    assert en["avatar_url"] == ""


def test_the_channels_app_offers_connected_channels_only(tenant):
    Channel.objects.create(
        tenant=tenant,
        kind="telegram",
        provider="telegram",
        name="Bot",
        status=ChannelStatus.CONNECTED,
    )
    Channel.objects.create(
        tenant=tenant, kind="sms", provider="smsc", name="SMS", status=ChannelStatus.ERROR
    )
    assert channel_choices(tenant.pk) == [("telegram", "Telegram")]


def test_visitor_channel_choice_is_checked_and_kept(
    client, site, publishable_key, admin_user, offered
):
    widget_config_save(site, actor=admin_user, data={"channels": ["telegram"]})
    cache.clear()
    submit = f"/api/public/v1/widget/{publishable_key}/leads/"
    body = {"email": "a@example.com", "consents": {"processing": True}, "test": True}
    bad = client.post(
        submit, {**body, "channel": "sms"}, content_type="application/json", HTTP_ORIGIN=ORIGIN
    )
    assert bad.status_code == 400 and "channel" in bad.json()["error"]["fields"]
    good = client.post(
        submit, {**body, "channel": "telegram"}, content_type="application/json", HTTP_ORIGIN=ORIGIN
    )
    assert good.status_code == 201
    with tenant_scope(site):
        lead = Lead.objects.get(email="a@example.com")
        metadata = lead.actions.get().metadata
    assert metadata["preferred_channel"] == "telegram" and metadata["test"] is True


# --- optimistic locking -------------------------------------------------------------------


def test_a_save_over_a_newer_version_is_a_conflict_and_writes_nothing(tenant, admin_user):
    widget_config_get(tenant)
    widget_config_save(tenant, actor=admin_user, data={"title_ru": "Первый"}, expected_version=1)
    with pytest.raises(Conflict) as conflict:
        widget_config_save(
            tenant, actor=admin_user, data={"title_ru": "Второй"}, expected_version=1
        )
    assert conflict.value.status_code == 409 and conflict.value.extra["version"] == 2
    assert conflict.value.extra["current"]["title_ru"] == "Первый"
    assert WidgetConfig.objects.unscoped().get(tenant=tenant).title_ru == "Первый"


def test_api_put_with_a_stale_version_answers_409(admin_api, tenant):
    api = url("api-widget-config", tenant)
    read = admin_api.get(api).json()["version"]
    assert admin_api.put(api, {"title_ru": "A", "version": read}, format="json").status_code == 200
    stale = admin_api.put(api, {"title_ru": "B", "version": read}, format="json")
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["code"] == "version_conflict" and error["version"] == read + 1
    assert error["current"]["title_ru"] == "A"
    assert admin_api.put(api, {"version": "x"}, format="json").status_code == 400


def test_page_shows_both_versions_and_keep_mine_saves_over_theirs(
    admin_client_web, tenant, admin_user, english_ui
):
    widget_config_get(tenant)
    page = f"/t/{tenant.slug}/widget/settings/"
    # given someone else saved version 2 while this admin edited version 1
    widget_config_save(tenant, actor=admin_user, data={"title_ru": "Их заголовок"})
    # when this admin saves
    response = admin_client_web.post(page, {**FORM, "base_version": "1"})
    # then both versions are shown and nothing is written
    html = response.content.decode()
    assert response.status_code == 409
    assert "Your changes were not saved" in html and "Their" not in html
    assert "Привет" in html and "Их заголовок" in html
    assert 'name="base_version" value="2"' in html
    assert WidgetConfig.objects.unscoped().get(tenant=tenant).title_ru == "Их заголовок"
    # "keep mine" posts the same data over version 2
    kept = admin_client_web.post(page, {**FORM, "base_version": "2"})
    assert kept.status_code == 302
    assert WidgetConfig.objects.unscoped().get(tenant=tenant).title_ru == "Привет"


# --- live preview -------------------------------------------------------------------------


def test_draft_endpoint_renders_unsaved_settings_without_saving(admin_client_web, tenant):
    draft = f"/t/{tenant.slug}/widget/draft/"
    response = admin_client_web.post(draft, {**FORM, "lang": "ru"})
    assert response.status_code == 200
    config = response.json()["config"]
    assert config["texts"]["title"] == "Привет" and config["colors"]["primary"] == "#00aa00"
    assert config["quick_replies"] == ["Сколько стоит?", "Доставка"]
    assert not WidgetConfig.objects.unscoped().filter(tenant=tenant).exists()  # nothing saved
    bad = admin_client_web.post(draft, {**FORM, "primary_color": "green"})
    assert bad.status_code == 400 and "primary_color" in bad.json()["errors"]


def test_draft_endpoint_is_for_admins(operator_client_web, tenant):
    assert operator_client_web.post(f"/t/{tenant.slug}/widget/draft/", FORM).status_code == 403


def test_draft_endpoint_of_another_tenant_is_not_found(admin_client_web, other_tenant):
    foreign = admin_client_web.post(f"/t/{other_tenant.slug}/widget/draft/", FORM)
    assert foreign.status_code == 404


def test_the_script_stays_under_30_kb_gzipped():
    source = Path(settings.BASE_DIR, "static", "widget", "fastlead.js").read_bytes()
    assert len(gzip.compress(source, 9)) < 30 * 1024
    assert b"attachShadow" in source  # host CSS cannot reach the widget
