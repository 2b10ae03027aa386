"""The public widget API: config, submissions, CORS, honeypot, rate limits, keys, consents."""

import json
import uuid
from datetime import UTC, datetime
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from redis import Redis

from apps.leads.models import Lead, LeadAction, TimelineEntry
from apps.leads.tests.conftest import url
from apps.tenants.keys import publishable_key_get_or_create, publishable_key_rotate
from apps.tenants.scoping import tenant_scope
from tests.redis_cache import redis_cache_empty, redis_cache_settings

pytestmark = pytest.mark.django_db

ORIGIN = "https://example.com"  # TenantFactory's allowed origin
GOOD = {
    "name": "Анна",
    "email": "anna@example.com",
    "phone": "+7 916 123-45-67",
    "message": "Перезвоните, пожалуйста",
    "consents": {"processing": True, "marketing": False},
    "page_url": "https://example.com/pricing",
}


def submit_url(key: str) -> str:
    return f"/api/public/v1/widget/{key}/leads/"


def config_url(key: str) -> str:
    return f"/api/public/v1/widget/{key}/"


def submit(client, key, body=GOOD, origin=ORIGIN, **extra):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return client.post(submit_url(key), data, content_type="application/json", **headers, **extra)


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request, settings):
    """Run with the generic cache path and with the pipelined Redis path."""
    if request.param == "locmem":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    else:
        settings.CACHES = {"default": redis_cache_settings()}
        try:
            redis_cache_empty()
        except Exception:
            pytest.skip("no Redis on 127.0.0.1:6379")
    yield request.param
    if request.param == "redis":
        redis_cache_empty()
    else:
        cache.clear()


@pytest.fixture
def mid_window():
    """The fixed-window counters' clock stopped mid-minute: a test on a slow machine never
    sees its counts reset by a new window."""
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, 30, tzinfo=UTC), tick=False):
        yield


# --- submissions --------------------------------------------------------------------------


def test_a_submission_is_stored_with_consents_message_and_action(client, tenant, publishable_key):
    response = submit(client, publishable_key)
    assert response.status_code == 201
    assert response.json() == {"status": "received"}
    with tenant_scope(tenant):
        lead = Lead.objects.get()
        assert lead.source == "widget" and lead.email == "anna@example.com"
        assert lead.phone == "+79161234567" and lead.name == "Анна"
        assert lead.consent_processing and lead.consent_processing_at is not None
        assert not lead.consent_marketing and lead.consent_marketing_at is None
        assert lead.consent_source == "https://example.com/pricing"
        assert LeadAction.objects.get().metadata == {"page_url": "https://example.com/pricing"}
        kinds = set(TimelineEntry.objects.values_list("kind", flat=True))
        assert kinds == {"created", "message_in"}


def test_a_retried_submission_is_stored_once(client, tenant, publishable_key):
    # given: the script's retry of one press of "Send" (the first answer was lost)
    once = {**GOOD, "submission_id": "6f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b"}
    first, retry = submit(client, publishable_key, once), submit(client, publishable_key, once)
    # and another press with a new id
    again = submit(client, publishable_key, {**once, "submission_id": str(uuid.uuid4())})

    assert [r.status_code for r in (first, retry, again)] == [201, 201, 201]
    assert retry.json() == {"status": "received"}
    with tenant_scope(tenant):
        assert Lead.objects.count() == 1
        assert LeadAction.objects.count() == 2  # the retry added nothing


def test_a_submission_id_that_is_not_a_uuid_is_refused(client, tenant, publishable_key):
    response = submit(client, publishable_key, {**GOOD, "submission_id": "not-a-uuid"})

    assert response.status_code == 400
    assert "submission_id" in response.json()["error"]["fields"]
    with tenant_scope(tenant):
        assert not Lead.objects.exists()


def test_created_and_merged_answer_the_same(client, tenant, publishable_key):
    first = submit(client, publishable_key)
    second = submit(client, publishable_key, {**GOOD, "name": "Другое имя"})
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    with tenant_scope(tenant):
        assert Lead.objects.count() == 1
        assert Lead.objects.get().name == "Анна"


def test_honeypot_looks_successful_and_stores_nothing(client, tenant, publishable_key):
    response = submit(client, publishable_key, {**GOOD, "hp_field": "http://spam.example"})
    assert response.status_code == 201 and response.json() == {"status": "received"}
    with tenant_scope(tenant):
        assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "consents": {"processing": False}}, "consents.processing"),
        ({**GOOD, "consents": {}}, "consents.processing"),
        ({"name": "No contact", "consents": {"processing": True}}, "email"),
        ({**GOOD, "email": "not-an-email"}, "email"),
        ({**GOOD, "phone": "123"}, "phone"),
        ({**GOOD, "website": "x"}, "website"),
        ({**GOOD, "name": "x" * 201}, "name"),
    ],
)
def test_bad_submissions_say_why_and_store_nothing(client, tenant, publishable_key, body, field):
    response = submit(client, publishable_key, body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    with tenant_scope(tenant):
        assert not Lead.objects.exists()


def test_malformed_and_oversized_bodies_answer_400(client, publishable_key):
    assert submit(client, publishable_key, b"{nope").json()["error"]["code"] == "malformed_json"
    big = json.dumps({**GOOD, "message": "x" * 70_000})
    assert submit(client, publishable_key, big).json()["error"]["code"] == "payload_too_large"
    assert submit(client, publishable_key, "[1, 2]").status_code == 400


def test_unknown_and_revoked_keys_answer_404(client, tenant, admin_user):
    assert submit(client, "pk_doesnotexist123").status_code == 404
    assert submit(client, "nonsense").json()["error"]["code"] == "not_found"
    old = publishable_key_get_or_create(tenant).key
    assert submit(client, old).status_code == 201
    new = publishable_key_rotate(tenant, admin_user).key
    assert new != old
    assert submit(client, old).status_code == 404
    assert client.get(config_url(old)).status_code == 404
    assert submit(client, new, {**GOOD, "email": "b@example.com"}).status_code == 201


def test_rotation_through_the_api_invalidates_the_cached_key(admin_api, client, tenant):
    old = admin_api.get(url("api-widget-key", tenant)).json()["key"]
    assert client.get(config_url(old)).status_code == 200  # now cached
    response = admin_api.post(url("api-widget-key-rotate", tenant))
    assert response.status_code == 201
    assert client.get(config_url(old)).status_code == 404
    assert client.get(config_url(response.json()["key"])).status_code == 200


def test_a_get_on_the_submit_url_is_405(client, publishable_key):
    assert client.get(submit_url(publishable_key)).status_code == 405


# --- config -------------------------------------------------------------------------------


def test_config_is_public_and_minimal(client, tenant, publishable_key, admin_user):
    response = client.get(config_url(publishable_key), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    body = response.json()
    assert body["tenant"] == {"name": tenant.name}
    assert [f["name"] for f in body["fields"]] == ["name", "email", "phone", "message"]
    assert body["consents"]["processing"]["required"] is True
    assert body["honeypot_field"] == "hp_field"
    assert body["submit_url"].endswith(submit_url(publishable_key))
    text = response.content.decode()
    assert str(tenant.pk) not in text and admin_user.email not in text
    assert response["Access-Control-Allow-Origin"] == ORIGIN


# --- CORS ---------------------------------------------------------------------------------


def test_cors_allows_only_the_tenants_origins(client, tenant, publishable_key):
    allowed = submit(client, publishable_key, origin=ORIGIN)
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    foreign = submit(
        client, publishable_key, {**GOOD, "email": "f@example.com"}, origin="https://evil.example"
    )
    assert "Access-Control-Allow-Origin" not in foreign
    assert foreign.status_code == 403
    with tenant_scope(tenant):
        assert not Lead.objects.filter(email="f@example.com").exists()


def test_a_simple_post_from_a_foreign_site_is_refused_and_not_stored(
    client, tenant, publishable_key
):
    # a text/plain POST needs no preflight: only the server's own check stops it
    response = client.post(
        submit_url(publishable_key),
        json.dumps(GOOD),
        content_type="text/plain",
        HTTP_ORIGIN="https://evil.example",
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    with tenant_scope(tenant):
        assert not Lead.objects.exists()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"HTTP_REFERER": "https://example.com/pricing?x=1"}, 201),  # no Origin: the Referer
        ({"HTTP_REFERER": "https://evil.example/page"}, 403),
        ({}, 403),  # names no page at all: not a widget
        ({"HTTP_ORIGIN": "null"}, 403),  # sandboxed frames, file:// pages
        ({"HTTP_ORIGIN": "https://EXAMPLE.com/"}, 201),  # origins compare case-insensitively
    ],
)
def test_the_page_is_checked_from_origin_then_referer(client, publishable_key, headers, status):
    response = client.post(
        submit_url(publishable_key), json.dumps(GOOD), content_type="text/plain", **headers
    )

    assert response.status_code == status


def test_fast_leads_own_origin_is_allowed(client, publishable_key, settings):
    settings.SITE_URL = "https://app.fastlead.example"

    response = submit(client, publishable_key, origin="https://app.fastlead.example")

    assert response.status_code == 201


def test_preflight_is_answered_for_allowed_origins_only(client, publishable_key):
    ok = client.options(
        submit_url(publishable_key),
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert ok.status_code == 200
    assert ok["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in ok["Access-Control-Allow-Methods"]
    foreign = client.options(
        submit_url(publishable_key),
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert "Access-Control-Allow-Origin" not in foreign
    unknown = client.options(
        submit_url("pk_unknown12345"), HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in unknown


def test_another_tenants_origin_is_not_allowed(client, tenant, other_tenant, publishable_key):
    other_tenant.allowed_origins = ["https://other.example"]
    other_tenant.save()
    response = submit(client, publishable_key, origin="https://other.example")
    assert "Access-Control-Allow-Origin" not in response
    assert response.status_code == 403


def test_the_private_api_has_no_cors(admin_api, tenant):
    response = admin_api.get(url("api-leads", tenant), HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in response


def test_a_warm_submission_reads_the_tenants_cached_state_in_one_round_trip(
    client, tenant, publishable_key, settings, mid_window
):
    settings.CACHES = {"default": redis_cache_settings()}
    try:
        redis_cache_empty()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    try:
        submit(client, publishable_key, {**GOOD, "email": "warm@example.com"})  # fills them
        commands = []
        real = Redis.execute_command

        def spy(self, *args, **kwargs):
            commands.append(args[0])
            return real(self, *args, **kwargs)

        # when a second visitor submits (a queue's drain is not counted: not woken here)
        with (
            mock.patch.object(Redis, "execute_command", spy),
            mock.patch("apps.leads.public_api.widget_intake_wake"),
        ):
            response = submit(client, publishable_key, {**GOOD, "email": "next@example.com"})
        # then the form's settings, entitlements and flags came with the gate's own script
        # (this process knows the key's tenant): one round trip to Redis in all
        assert response.status_code == 201
        reads = [name for name in commands if name in ("GET", "MGET", "EVALSHA", "EVAL")]
        assert reads == ["EVALSHA"]
    finally:
        redis_cache_empty()


# --- rate limits --------------------------------------------------------------------------


def test_per_ip_rate_limit_answers_429_with_retry_after(
    client, tenant, publishable_key, settings, any_cache, mid_window
):
    settings.LEADS_WIDGET_RATE_PER_IP = 3
    statuses = [
        submit(client, publishable_key, {**GOOD, "email": f"r{i}@example.com"}).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    response = submit(client, publishable_key, {**GOOD, "email": "late@example.com"})
    body = response.json()["error"]
    assert body["code"] == "throttled" and 0 < body["retry_after"] <= 60
    assert int(response["Retry-After"]) == body["retry_after"]
    other_ip = submit(
        client, publishable_key, {**GOOD, "email": "x@example.com"}, REMOTE_ADDR="10.0.0.9"
    )
    assert other_ip.status_code == 201
    with tenant_scope(tenant):
        assert Lead.objects.count() == 4


def test_per_key_rate_limit_counts_every_ip(
    client, publishable_key, settings, any_cache, mid_window
):
    settings.LEADS_WIDGET_RATE_PER_KEY = 2
    codes = [
        submit(
            client,
            publishable_key,
            {**GOOD, "email": f"k{i}@example.com"},
            REMOTE_ADDR=f"10.0.0.{i}",
        ).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]


# --- input that cannot be stored, and consent that is not consent ------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "name": "Анна\x00"}, "name"),
        ({**GOOD, "message": "a\x00b"}, "message"),
        ({**GOOD, "utm": {"utm_source": "x\x00"}}, "utm.utm_source"),
    ],
)
def test_nul_characters_answer_400_naming_the_field(client, tenant, publishable_key, body, field):
    response = submit(client, publishable_key, body)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    with tenant_scope(tenant):
        assert not Lead.objects.exists()


@pytest.mark.parametrize("consent", ["yes", 1, "true", "on", "1"])
def test_consent_must_be_a_real_boolean(client, tenant, publishable_key, consent):
    body = {**GOOD, "consents": {"processing": consent}}

    response = submit(client, publishable_key, body)

    assert response.status_code == 400
    assert "consents.processing" in response.json()["error"]["fields"]
    with tenant_scope(tenant):
        assert not Lead.objects.exists()


def test_a_page_on_this_very_host_is_allowed(client, publishable_key):
    response = submit(client, publishable_key, origin="http://testserver")

    assert response.status_code == 201


def test_a_submission_reads_its_companys_flags_once(client, tenant, publishable_key):
    # the flags of the closure check, the consent texts and every subscriber of the new
    # lead's events (apps/core/tenant_flags.py): one read of the cache for all of them
    # (on Redis the answer reads them in the gate's script, and the queue's drain, storing
    # the batch, in one get_many; on another cache the gate's read is the get_many)
    submit(client, publishable_key, {**GOOD, "email": "warm@example.com"})  # caches them
    with mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many:
        response = submit(client, publishable_key, {**GOOD, "email": "next@example.com"})
    assert response.status_code == 201
    flag_reads = [c for c in get_many.call_args_list if any("tflag:" in k for k in c.args[0])]
    assert len(flag_reads) == 1
