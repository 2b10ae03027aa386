"""The issue's "done when", end to end through the webhook, Claude (the local fake), the
approval, the outbox (fake SendGrid) and HYROCALL (its local fake)."""

import pytest

from apps.leads.models import Lead, ListKind
from apps.messaging.models import Message
from apps.tenants.scoping import tenant_scope
from apps.upsell.models import CaseStatus, Classification, Ticket, UpsellCase
from apps.upsell.services.configuration import upsell_settings_save
from apps.upsell.services.decisions import case_approve
from apps.upsell.tests.conftest import (
    classification_requests,
    draft_answer,
    high,
    low,
    ticket,
)

pytestmark = pytest.mark.django_db


def _post(client, helpdesk, payload, capture):
    with capture(execute=True):
        return helpdesk(client, payload)


def test_a_limit_ticket_becomes_an_upsell_lead_waiting_for_approval(
    client, tenant, helpdesk, catalogue, fake_anthropic, django_capture_on_commit_callbacks
):
    # given Claude sees a strong signal (then drafts the outreach)
    fake_anthropic.ok(high()).ok(draft_answer())
    # when the helpdesk posts the ticket
    response = _post(client, helpdesk, ticket(), django_capture_on_commit_callbacks)
    # then
    assert response.status_code == 202, response.content
    with tenant_scope(tenant):
        case = UpsellCase.objects.get()
        assert case.status == CaseStatus.AWAITING_APPROVAL
        assert float(case.score) == 0.92 and case.tier == "Business"
        assert "lead limit" in case.classification.rationale
        lead = Lead.objects.get(pk=case.lead_id)
        assert lead.list.kind == ListKind.UPSELL and lead.email == "ivan@romashka.ru"
        assert "webhook" not in lead.timeline.first().body
        assert any("T-1" in e.body for e in lead.timeline.all())
        assert "Ivan" in case.email_body and case.call_script
        assert case.draft_source == "ai" and case.draft_language == "en"
        cls = Classification.objects.get()
        assert cls.model == "claude-sonnet-4-6" and cls.input_tokens == 250 and cls.cost > 0
        history = [(h.from_status, h.to_status) for h in case.history.all()]
    assert history == [
        ("", "identified"),
        ("identified", "lead_created"),
        ("lead_created", "awaiting_approval"),
    ]
    # the prompt carried the tenant's catalogue
    sent = fake_anthropic.requests[0].body
    assert "Business" in str(sent["messages"]) and "unlimited leads" in str(sent["messages"])


def test_the_same_ticket_posted_twice_creates_one_case_and_one_ai_call(
    client, tenant, helpdesk, catalogue, fake_anthropic, django_capture_on_commit_callbacks
):
    fake_anthropic.ok(high()).ok(draft_answer())
    first = _post(client, helpdesk, ticket(), django_capture_on_commit_callbacks)
    again = _post(client, helpdesk, ticket(), django_capture_on_commit_callbacks)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["status"] == "duplicate"
    with tenant_scope(tenant):
        assert UpsellCase.objects.count() == 1 and Ticket.objects.count() == 1
    # one classification, and one draft for the one case
    assert len(classification_requests(fake_anthropic)) == 1
    assert len(fake_anthropic.requests) == 2


def test_the_same_person_and_product_within_30_days_gets_one_case(
    client, tenant, helpdesk, catalogue, fake_anthropic, django_capture_on_commit_callbacks
):
    fake_anthropic.ok(high()).ok(draft_answer()).ok(high())
    _post(client, helpdesk, ticket("T-1"), django_capture_on_commit_callbacks)
    _post(client, helpdesk, ticket("T-2"), django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        assert UpsellCase.objects.count() == 1
        assert "30 days" in Ticket.objects.get(external_id="T-2").classification_error


def test_the_widget_is_broken_creates_nothing(
    client, tenant, helpdesk, catalogue, fake_anthropic, django_capture_on_commit_callbacks
):
    fake_anthropic.ok(low())
    response = _post(
        client, helpdesk, ticket(text="the widget is broken"), django_capture_on_commit_callbacks
    )
    assert response.status_code == 202
    with tenant_scope(tenant):
        assert not UpsellCase.objects.exists()
        assert not Lead.objects.exists()
        assert Classification.objects.get().score < 0.1


def test_a_malformed_answer_fails_the_ticket_and_creates_nothing(
    client, tenant, helpdesk, catalogue, fake_anthropic, django_capture_on_commit_callbacks
):
    fake_anthropic.ok("this is not json at all")
    _post(client, helpdesk, ticket(), django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        row = Ticket.objects.get()
        assert (
            row.classification_status == "failed" and "malformed_json" in row.classification_error
        )
        assert not UpsellCase.objects.exists() and not Classification.objects.exists()


def test_approval_with_an_edited_email_sends_it_places_the_call_and_the_outcome_finishes(
    client,
    tenant,
    admin_user,
    helpdesk,
    catalogue,
    fake_anthropic,
    fake_hyrocall,
    fake_sendgrid,
    email_channel,
    django_capture_on_commit_callbacks,
):
    fake_anthropic.ok(high())
    _post(client, helpdesk, ticket(), django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        case = UpsellCase.objects.get()
    # when a tenant admin approves with an edited e-mail
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        case_approve(
            case,
            actor=admin_user,
            via="dashboard",
            email_subject="Business for Romashka",
            email_body="Ivan, Business removes the limit. Edited by hand.",
            call_script="Call about Business.",
        )
    # then the edited e-mail went out through the tenant's channel, and the call was placed
    with tenant_scope(tenant):
        case.refresh_from_db()
        message = Message.objects.get(pk=case.message_id)
    assert message.body == "Ivan, Business removes the limit. Edited by hand."
    assert message.marketing and message.channel_id == email_channel.pk
    assert len(fake_sendgrid.sent) == 1
    assert fake_hyrocall.calls[0]["phone"] == "+79161234567"
    assert fake_hyrocall.calls[0]["script"] == "Call about Business."
    assert fake_hyrocall.calls[0]["callback_url"].endswith("/webhooks/hyrocall/")
    assert case.status == CaseStatus.CALL_PLACED and case.email_state == "queued"
    assert case.decided_by == admin_user and case.decided_via == "dashboard"
    # when HYROCALL reports the outcome (twice: a re-delivery)
    body, headers = fake_hyrocall.outcome(
        case.call_external_id, "answered", summary="Agreed to move to Business."
    )
    for _ in range(2):
        answer = client.post(
            "/webhooks/hyrocall/", data=body, content_type="application/json", headers=headers
        )
    assert answer.json() == {"status": "duplicate"}
    with tenant_scope(tenant):
        case.refresh_from_db()
        assert case.status == CaseStatus.DONE and case.call_state == "answered"
        assert case.history.filter(to_status="done").count() == 1
    # and the lead page shows the outreach
    client.force_login(admin_user)
    page = client.get(f"/t/{tenant.slug}/leads/{case.lead_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-email="queued"' in html and 'data-call="answered"' in html
    assert "Agreed to move to Business." in html


def test_a_lead_without_phone_skips_the_call_and_without_consent_skips_the_email(
    client, tenant, admin_user, helpdesk, catalogue, fake_anthropic, fake_hyrocall,
    email_channel, django_capture_on_commit_callbacks,
):  # fmt: skip
    fake_anthropic.ok(high())
    payload = ticket(phone="", marketing_consent=False)
    _post(client, helpdesk, payload, django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        case = UpsellCase.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            case_approve(case, actor=admin_user, via="dashboard")
        case.refresh_from_db()
    assert case.call_state == "skipped" and case.call_detail == "no phone number"
    assert case.email_state == "skipped" and "no_consent" in case.email_detail
    assert case.status == CaseStatus.FAILED and not fake_hyrocall.calls


def test_offline_heuristic_never_scores_above_half_so_no_case_at_the_default_threshold(
    client, tenant, helpdesk, catalogue, settings, django_capture_on_commit_callbacks
):
    settings.ANTHROPIC_API_KEY = ""
    text = "We hit the limit, need to upgrade to the next tier — what does the pricing look like?"
    _post(client, helpdesk, ticket(text=text), django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        cls = Classification.objects.get()
        assert cls.offline and cls.upsell_signal and float(cls.score) == 0.5
        assert "Offline keyword heuristic" in cls.rationale
        assert not UpsellCase.objects.exists()


def test_offline_opens_a_case_only_when_the_tenant_lowered_the_threshold(
    client, tenant, helpdesk, catalogue, settings, django_capture_on_commit_callbacks
):
    settings.ANTHROPIC_API_KEY = ""
    upsell_settings_save(tenant, threshold="0.4", auto_approve_threshold=None)
    _post(client, helpdesk, ticket(text=LIMIT), django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        case = UpsellCase.objects.get()
    assert case.classification.offline and case.status == CaseStatus.AWAITING_APPROVAL


def test_auto_approval_above_the_second_threshold(
    client, tenant, helpdesk, catalogue, fake_anthropic, django_capture_on_commit_callbacks
):
    upsell_settings_save(tenant, threshold="0.7", auto_approve_threshold="0.9")
    fake_anthropic.ok(high())
    _post(client, helpdesk, ticket(), django_capture_on_commit_callbacks)
    with tenant_scope(tenant):
        case = UpsellCase.objects.get()
        assert case.decided_via == "auto"
        assert case.history.filter(to_status="approved", actor_label="auto-approval").exists()


LIMIT = "We are hitting the lead limit, what does the next tier cost? Need to upgrade."
