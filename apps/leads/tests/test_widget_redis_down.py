"""The widget and the API with Redis unreachable (issue #12, item 5): leads are stored, limits
still hold per process, and only a database outage answers 503 (with Retry-After).

The fault-injection proof: 1,000 widget submissions with Redis down lose no lead."""

import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import OperationalError, connections
from django.utils import timezone

from apps.core.tests.test_redis_outage import warnings_logged
from apps.core.throttling import UserRateThrottle
from apps.leads import public_api
from apps.leads.models import Lead
from apps.leads.tests.conftest import url
from apps.leads.tests.test_widget import GOOD, ORIGIN, config_url, submit, submit_url
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

SUBMISSIONS = 1_000


def _as_visitor(n: int) -> dict:
    """Submission n from visitor address n % 100 (at most 10 per address)."""
    return {"REMOTE_ADDR": f"198.51.100.{n % 100}"}


def test_1000_widget_submissions_with_redis_down_lose_no_lead(
    client, tenant, publishable_key, redis_down, settings, caplog
):
    # given Redis unreachable, and the limits of two web processes per machine
    settings.RATELIMIT_FALLBACK_SHARE = 2
    settings.LEADS_WIDGET_RATE_PER_KEY = 2 * SUBMISSIONS  # the busy site's key allows it
    statuses = []
    # when visitors send 1,000 requests
    for n in range(SUBMISSIONS):
        body = {**GOOD, "email": f"visitor{n}@example.com", "phone": ""}
        statuses.append(submit(client, publishable_key, body, **_as_visitor(n)).status_code)
    # then every one was accepted and every accepted one is stored
    assert statuses == [201] * SUBMISSIONS
    with tenant_scope(tenant):
        assert Lead.objects.filter(source="widget").count() == SUBMISSIONS
    # and the outage was logged as a warning, not once per request
    outage = warnings_logged(caplog, "fastlead.outage")
    degraded = warnings_logged(caplog, "fastlead.ratelimit")
    assert outage[0]["event"] == "redis_unavailable" and len(outage) < 10
    assert degraded[0]["event"] == "ratelimit_degraded" and len(degraded) < 10


def test_with_redis_down_a_submission_leaves_the_caches_empty_answer_empty(
    client, publishable_key, redis_down
):
    # django-redis answers every failed get_many with one shared {}: nothing may write to it
    assert submit(client, publishable_key).status_code == 201
    assert cache.get_many(["anything"]) == {}


def test_with_redis_down_the_widget_still_limits_each_visitor_per_process(
    client, tenant, publishable_key, redis_down, settings
):
    # given a per-IP limit of 20 a minute shared by two processes: 10 in this one
    settings.LEADS_WIDGET_RATE_PER_IP = 20
    settings.RATELIMIT_FALLBACK_SHARE = 2
    # (all in one fixed window: a run that crossed a minute would start counting again)
    with time_machine.travel(_early_in_a_window(), tick=False):
        statuses = [submit(client, publishable_key).status_code for _ in range(11)]
        assert statuses == [201] * 10 + [429]
        throttled = submit(client, publishable_key)
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0


def _early_in_a_window():
    """A second after the next minute starts (the widget's limits count per minute)."""
    return timezone.now().replace(second=1, microsecond=0) + timedelta(minutes=1)


def test_with_redis_down_the_widget_config_and_preflight_answer(
    client, tenant, publishable_key, redis_down
):
    config = client.get(config_url(publishable_key), HTTP_ORIGIN=ORIGIN)
    assert config.status_code == 200 and config.json()["tenant"]["name"] == "Acme"
    assert config["Access-Control-Allow-Origin"] == ORIGIN
    preflight = client.options(
        submit_url(publishable_key),
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == ORIGIN


def test_with_redis_down_the_api_answers_jwt_and_api_key_clients(
    admin_api, api_client, api_key, tenant, redis_down
):
    assert admin_api.get(url("api-leads", tenant)).status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key[1]}")
    assert api_client.get(url("api-leads", tenant)).status_code == 200
    created = api_client.post(
        url("api-leads", tenant),
        {"email": "api@example.com", "source": "api"},
        format="json",
    )
    assert created.status_code in (200, 201), created.content


def test_with_redis_down_the_api_throttle_still_limits_per_process(
    admin_api, tenant, redis_down, settings, monkeypatch
):
    settings.RATELIMIT_FALLBACK_SHARE = 1
    rates = {**UserRateThrottle.THROTTLE_RATES, "user": "3/minute"}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    statuses = [admin_api.get(url("api-leads", tenant)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# --- the database down: 503 with Retry-After, never a 500 ------------------------------------


@contextmanager
def database_down():
    """The database server unreachable: every use of the connection (Django's cursors and
    the raw driver cursors of ingestion alike) fails to connect."""

    def refuse():
        raise OperationalError("could not connect to server: Connection refused")

    wrapper = connections["default"]
    wrapper.ensure_connection = refuse
    try:
        yield
    finally:
        del wrapper.ensure_connection


def test_the_database_down_answers_503_with_retry_after(client, tenant, publishable_key, settings):
    settings.LEADS_WIDGET_QUEUE = False  # the view stores it itself (the queue: below)
    submit(client, publishable_key, {**GOOD, "email": "first@example.com"})  # key now cached
    with database_down():
        response = submit(client, publishable_key)
        config = client.get(config_url(publishable_key), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response["Access-Control-Allow-Origin"] == ORIGIN  # the widget can read it
    assert response["Access-Control-Expose-Headers"] == "Retry-After"
    assert config.status_code == 200  # the config needs no database once the key is cached
    with tenant_scope(tenant):
        assert list(Lead.objects.values_list("email", flat=True)) == ["first@example.com"]


def test_the_database_down_before_the_key_is_known_is_503_too(client, tenant, publishable_key):
    with database_down():
        response = submit(client, publishable_key)
        preflight = client.options(
            submit_url(publishable_key),
            HTTP_ORIGIN=ORIGIN,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        )
    assert response.status_code == 503 and response["Retry-After"] == "10"
    assert preflight.status_code == 200  # no CORS headers (the widget retries), not a 500
    assert "Access-Control-Allow-Origin" not in preflight


def test_the_drivers_own_connection_error_answers_503_too(
    client, tenant, publishable_key, monkeypatch, settings
):
    settings.LEADS_WIDGET_QUEUE = False  # the view stores the submission itself

    def lost(**kwargs):  # ingestion's COPY talks to the driver directly
        raise connections["default"].Database.OperationalError("server closed the connection")

    monkeypatch.setattr(public_api, "ingest_leads", lost)
    response = submit(client, publishable_key)
    assert response.status_code == 503 and response["Retry-After"] == "10"


def test_a_bad_request_is_not_mistaken_for_a_database_outage(client, tenant, publishable_key):
    response = client.post(
        submit_url(publishable_key),
        json.dumps({**GOOD, "consents": {"processing": "yes"}}),
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
    )
    assert response.status_code == 400
