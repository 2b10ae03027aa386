"""The SSRF guard: private, loopback, link-local and metadata targets are refused when an
endpoint is saved and again at send time, after resolving the host; the send connects to the
address that was checked."""

from __future__ import annotations

import socket

import httpx
import pytest
import respx
from django.utils import translation

from apps.integrations.checks import private_targets_off
from apps.integrations.delivery import delivery_send
from apps.integrations.models import DeliveryStatus, WebhookAttempt
from apps.integrations.outbox import record_test_event
from apps.integrations.services import endpoint_create
from apps.integrations.targets import TargetRefused, target_check
from apps.tenants.scoping import tenant_scope

PUBLIC = "93.184.216.34"


def _resolving(monkeypatch, answers: dict[str, str]):
    def fake(host, port, *args, **kwargs):
        if host not in answers:
            raise socket.gaierror("no such host")
        family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.5/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[fe80::1]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://localhost/hook",
        "https://metadata.google.internal/computeMetadata/v1/",
    ],
)
def test_private_and_local_targets_are_refused(url, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(TargetRefused) as refused:
        target_check(url)
    assert refused.value.fields == {"url": [refused.value.message]}


def test_a_name_resolving_to_a_private_address_is_refused(settings, monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    _resolving(monkeypatch, {"inside.example.com": "10.0.0.7"})
    with pytest.raises(TargetRefused):
        target_check("https://inside.example.com/hook")


def test_plain_http_and_credentials_in_the_url_are_refused(settings, monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    _resolving(monkeypatch, {"hooks.example.com": PUBLIC})
    for url in ("http://hooks.example.com/x", "https://u:p@hooks.example.com/x", "ftp://a/b"):
        with pytest.raises(TargetRefused):
            target_check(url)
    assert target_check("https://hooks.example.com/x").address == PUBLIC


def test_the_flag_lets_local_receivers_in(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    assert target_check("http://127.0.0.1:8001/hook").address == "127.0.0.1"


def test_saving_a_private_endpoint_answers_a_field_error(on_business, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    with tenant_scope(on_business), pytest.raises(TargetRefused):
        endpoint_create(
            tenant=on_business, actor=None, url="https://10.0.0.1/x", events=["lead.created"]
        )


def test_a_name_that_turns_private_after_saving_is_refused_at_send_time(
    on_business, settings, monkeypatch
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    tenant = on_business
    _resolving(monkeypatch, {"hooks.example.com": PUBLIC})
    with tenant_scope(tenant):
        endpoint, _secret = endpoint_create(
            tenant=tenant, actor=None, url="https://hooks.example.com/x", events=["lead.created"]
        )
        delivery = record_test_event(tenant, endpoint)
        _resolving(monkeypatch, {"hooks.example.com": "127.0.0.1"})  # DNS rebinding
        with respx.mock(assert_all_called=False) as mock, translation.override("en"):
            anything = mock.route().mock(return_value=httpx.Response(200))
            outcome, _next = delivery_send(tenant, delivery.pk)

        assert not anything.called
        assert outcome == "failed"
        attempt = WebhookAttempt.objects.get(delivery=delivery)
        assert attempt.status_code is None and "private" in attempt.error
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED


def test_the_send_connects_to_the_checked_address_with_the_host_name(
    on_business, settings, monkeypatch
):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    tenant = on_business
    _resolving(monkeypatch, {"hooks.example.com": PUBLIC})
    with tenant_scope(tenant):
        endpoint, _secret = endpoint_create(
            tenant=tenant,
            actor=None,
            url="https://hooks.example.com/x?a=1",
            events=["lead.created"],
        )
        delivery = record_test_event(tenant, endpoint)
        with respx.mock() as mock:
            route = mock.post(f"https://{PUBLIC}/x?a=1").mock(return_value=httpx.Response(204))
            outcome, _next = delivery_send(tenant, delivery.pk)

    assert outcome == "succeeded"
    request = route.calls.last.request
    assert request.headers["host"] == "hooks.example.com"
    assert request.extensions["sni_hostname"] == "hooks.example.com"


def test_check_deploy_warns_while_private_targets_are_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    assert private_targets_off() == []
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    assert [w.id for w in private_targets_off()] == ["integrations.W001"]
