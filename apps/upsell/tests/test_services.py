"""The state machine, the 30-day rule, winning, and the HYROCALL adapter at the HTTP level."""

import pytest
from django.utils import timezone

from apps.ai.tests.fake_server import Reply
from apps.core.errors import ProviderError
from apps.features.services import tenant_feature_set
from apps.leads.models import Lead
from apps.tenants.scoping import tenant_scope
from apps.upsell import selectors
from apps.upsell.models import CaseStatus, OutreachClaim, Ticket, UpsellCase
from apps.upsell.providers.base import CallRequest
from apps.upsell.providers.hyrocall import HyrocallPlatform
from apps.upsell.services.decisions import case_approve, case_reject
from apps.upsell.services.intake import ticket_classify
from apps.upsell.services.won import case_mark_won
from apps.upsell.tests.conftest import high
from apps.upsell.tests.fake_hyrocall import API_KEY, WEBHOOK_SECRET
from apps.upsell.tests.helpers import make_case
from apps.upsell.transitions import TRANSITIONS, IllegalTransition, case_transition

pytestmark = pytest.mark.django_db


def test_an_illegal_transition_raises_and_writes_no_history(tenant):
    case = make_case(tenant)
    before = case.history.model.objects.for_tenant(tenant).count()
    with pytest.raises(IllegalTransition), tenant_scope(tenant):
        case_transition(case, CaseStatus.DONE)
    with tenant_scope(tenant):
        assert UpsellCase.objects.get().status == CaseStatus.AWAITING_APPROVAL
        assert case.history.count() == before


def test_every_state_is_in_the_table_and_terminal_ones_lead_nowhere():
    assert set(TRANSITIONS) == set(CaseStatus.values)
    assert TRANSITIONS[CaseStatus.REJECTED] == frozenset()
    assert TRANSITIONS[CaseStatus.WON] == frozenset()


def test_reject_needs_a_reason_and_records_who(tenant, admin_user):
    case = make_case(tenant)
    with tenant_scope(tenant):
        with pytest.raises(Exception) as refused:
            case_reject(case, actor=admin_user, via="dashboard", reason=" ")
        assert "reason" in refused.value.fields
        case_reject(case, actor=admin_user, via="dashboard", reason="Already on Business")
        row = case.history.get(to_status="rejected")
    assert row.actor == admin_user and row.reason == "Already on Business"
    assert row.actor_label.startswith("tenant admin")


def test_a_second_approval_is_refused(tenant, admin_user, django_capture_on_commit_callbacks):
    case = make_case(tenant)
    with tenant_scope(tenant):
        case_approve(case, actor=admin_user, via="dashboard")
        with pytest.raises(IllegalTransition):
            case_approve(case, actor=admin_user, via="admin")


def test_the_30_day_claim_expires(tenant):
    make_case(tenant, ref="T-1")
    assert make_case(tenant, ref="T-2") is None
    with tenant_scope(tenant):
        OutreachClaim.objects.update(claimed_at=timezone.now() - timezone.timedelta(days=31))
    assert make_case(tenant, ref="T-3") is not None


def test_a_won_upsell_sets_the_lead_won(tenant, admin_user):
    case = make_case(tenant)
    with tenant_scope(tenant):
        UpsellCase.objects.filter(pk=case.pk).update(status=CaseStatus.DONE)
        case.refresh_from_db()
        case_mark_won(case, actor=admin_user)
        assert Lead.objects.get(pk=case.lead_id).status == "won"
        assert selectors.funnel(tenant)["won"] == 1


def test_hyrocall_adapter_sends_the_documented_request_once_per_key(fake_hyrocall):
    platform = HyrocallPlatform(
        api_key=API_KEY, base_url=fake_hyrocall.base_url, webhook_secret=WEBHOOK_SECRET
    )
    request = CallRequest(
        phone="+79161234567", script="Hello", callback_url="https://x.test/cb",
        idempotency_key="upsell-case-1-call",
    )  # fmt: skip
    first, again = platform.create_call(request), platform.create_call(request)
    assert first.call_id == again.call_id and len(fake_hyrocall.calls) == 1
    assert fake_hyrocall.requests[0].headers["idempotency-key"] == "upsell-case-1-call"


def test_hyrocall_adapter_maps_refusals_and_server_errors(fake_hyrocall):
    platform = HyrocallPlatform(api_key="wrong", base_url=fake_hyrocall.base_url, webhook_secret="")
    request = CallRequest(phone="+79161234567", script="", callback_url="u", idempotency_key="k")
    with pytest.raises(ProviderError) as refused:
        platform.create_call(request)
    assert refused.value.permanent and refused.value.status == 401
    good = HyrocallPlatform(api_key=API_KEY, base_url=fake_hyrocall.base_url, webhook_secret="")
    fake_hyrocall.enqueue(Reply(503, {"error": {"code": "unavailable", "message": "down"}}))
    with pytest.raises(ProviderError) as transient:
        good.create_call(request)
    assert not transient.value.permanent


def test_a_failed_call_with_a_sent_email_still_finishes_done(
    tenant, admin_user, fake_hyrocall, fake_sendgrid, email_channel, client,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    case = make_case(tenant)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        case_approve(case, actor=admin_user, via="dashboard")
    with tenant_scope(tenant):
        case.refresh_from_db()
    body, headers = fake_hyrocall.outcome(case.call_external_id, "failed")
    client.post("/webhooks/hyrocall/", data=body, content_type="application/json", headers=headers)
    with tenant_scope(tenant):
        case.refresh_from_db()
    assert case.status == CaseStatus.DONE and case.call_state == "failed"


def test_the_call_webhook_refuses_a_bad_signature(client, fake_hyrocall):
    body, _headers = fake_hyrocall.outcome("call_x", "answered")
    response = client.post(
        "/webhooks/hyrocall/", data=body, content_type="application/json",
        headers={"X-Hyrocall-Signature": "sha256=00"},
    )  # fmt: skip
    assert response.status_code == 403


def test_without_the_hyrocall_tool_the_call_is_skipped_with_the_reason(
    tenant, admin_user, fake_hyrocall, django_capture_on_commit_callbacks
):
    tenant_feature_set(tenant=tenant, feature="hyrocall", mode="revoke", reason="test")
    case = make_case(tenant)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        case_approve(case, actor=admin_user, via="dashboard")
    with tenant_scope(tenant):
        case.refresh_from_db()
    assert case.call_state == "skipped" and "HYROCALL" in case.call_detail
    assert not fake_hyrocall.calls


def test_a_classification_left_running_by_a_killed_worker_is_taken_over(tenant, fake_anthropic):
    fake_anthropic.ok(high())
    with tenant_scope(tenant):
        ticket = Ticket.objects.create(
            tenant=tenant, source="api", external_id="K-1", body="limit", content_hash="h",
            classification_status="running",
        )  # fmt: skip
        assert ticket_classify(tenant, ticket.pk) is None  # a live claim: hands off
        Ticket.objects.filter(pk=ticket.pk).update(
            updated_at=timezone.now() - timezone.timedelta(minutes=20)
        )
        assert ticket_classify(tenant, ticket.pk) is not None
