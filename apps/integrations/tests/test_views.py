"""The "Webhooks" page through the Django test client: add an endpoint (the secret shown once),
send a test event, see it in the delivery log, resend; roles, the tool and other companies."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.billing.tests.helpers import subscribe
from apps.integrations.models import WebhookDelivery, WebhookEndpoint
from apps.integrations.recipe import verification_recipe
from apps.integrations.services import endpoint_create
from apps.leads.ingestion import ingest_leads
from apps.tenants.scoping import tenant_scope

HX = {"HTTP_HX_REQUEST": "true"}


def _url(tenant, *rest):
    return "/".join([f"/t/{tenant.slug}/webhooks", *map(str, rest)]) + "/"


def test_add_endpoint_send_test_event_and_see_it_in_the_log(
    admin_client_web, on_business, receiver, english_ui, django_capture_on_commit_callbacks
):
    client, tenant = admin_client_web, on_business
    page = client.get(_url(tenant))
    assert page.status_code == 200 and b"Add an endpoint" in page.content

    added = client.post(
        _url(tenant, "new"),
        {"url": receiver.url, "description": "CRM", "events": ["lead.created", "lead.updated"]},
        **HX,
    )

    assert added.status_code == 200
    with tenant_scope(tenant):
        endpoint = WebhookEndpoint.objects.get()
        secret = endpoint.secret
    assert secret in added.content.decode()  # once, on the answer to the post
    assert secret not in client.get(_url(tenant)).content.decode()
    detail = client.get(_url(tenant, endpoint.pk))
    assert detail.status_code == 200 and secret not in detail.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        log = client.post(_url(tenant, endpoint.pk, "test"), **HX)

    assert log.status_code == 200
    assert len(receiver.requests) == 1
    assert b"webhook.test" in log.content
    refreshed = client.get(_url(tenant, endpoint.pk, "log"), **HX).content.decode()
    assert "Delivered" in refreshed and '<code class="status-code">200</code>' in refreshed
    with tenant_scope(tenant):
        delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url(tenant, "deliveries", delivery.pk, "resend"), **HX)
    assert len(receiver.requests) == 2


def test_a_private_url_is_refused_on_the_form(admin_client_web, on_business, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = admin_client_web.post(
        _url(on_business, "new"),
        {"url": "https://192.168.0.10/hook", "events": ["lead.created"]},
        **HX,
    )
    assert response.status_code == 400
    assert "has-error" in response.content.decode()
    with tenant_scope(on_business):
        assert not WebhookEndpoint.objects.exists()


def test_the_signature_page_shows_the_docs_recipe(admin_client_web, on_business):
    response = admin_client_web.get(_url(on_business, "signatures"))
    assert response.status_code == 200
    assert "compare_digest" in response.content.decode()
    assert "def verify" in verification_recipe()


def test_a_disabled_endpoint_shows_a_banner(admin_client_web, on_business, english_ui):
    with tenant_scope(on_business):
        endpoint, _secret = endpoint_create(
            tenant=on_business, actor=None, url="https://1.1.1.1/x", events=["lead.created"]
        )
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            enabled=False, disabled_at=timezone.now(), disabled_reason="The endpoint answered 500."
        )
    page = admin_client_web.get(_url(on_business)).content.decode()
    assert "failed for 24 hours" in page and "answered 500" in page


def test_operators_are_refused_and_others_get_404(
    operator_client_web, on_business, outsider, client
):
    assert operator_client_web.get(_url(on_business)).status_code == 403
    client.force_login(outsider)
    assert client.get(_url(on_business)).status_code == 404


@pytest.mark.parametrize("plan", ["start"])
def test_without_the_tool_the_page_shows_the_lock(admin_client_web, tenant, plan):
    subscribe(tenant, plan)
    page = admin_client_web.get(_url(tenant))
    assert page.status_code == 200 and "integrations:create" not in page.content.decode()
    assert f"/t/{tenant.slug}/webhooks/new/" not in page.content.decode()
    assert admin_client_web.get(_url(tenant, "1")).status_code == 403


def test_the_log_shows_a_500_and_when_it_is_tried_again(
    admin_client_web, on_business, receiver, english_ui, django_capture_on_commit_callbacks
):
    receiver.always = 500
    with tenant_scope(on_business):
        endpoint, _secret = endpoint_create(
            tenant=on_business, actor=None, url=receiver.url, events=["lead.created"]
        )
        with django_capture_on_commit_callbacks(execute=True):
            ingest_leads(tenant=on_business, items=[{"email": "a@example.com"}], source="api")

    log = admin_client_web.get(_url(on_business, endpoint.pk, "log"), **HX).content.decode()

    assert '<code class="status-code">500</code>' in log
    assert "The endpoint answered 500." in log and "next try" in log
    assert "every 2s" not in log  # the next try is a minute away: the page does not poll
