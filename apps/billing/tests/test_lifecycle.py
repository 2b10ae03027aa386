"""The trial runs its course with a frozen clock: reminders 3 days and 1 day before the end,
read-only for 7 days (widget still collecting), then blocked, and paying lifts it at once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from apps.billing.models import AccessState, BillingAccount, Subscription
from apps.billing.quotas import lead_quota_reserve, tenant_accepts_leads
from apps.billing.services import access_block, access_restore, lifecycle, subscriptions, usage
from apps.billing.tasks import advance_trials_task
from apps.billing.tests.helpers import start_trial, subscribe
from apps.features.selectors import entitlements_get
from conftest import api_client_for

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def events(monkeypatch):
    seen = []
    real = lifecycle.log_event

    def record(name, **fields):
        seen.append(name)
        real(name, **fields)

    real_emit = lifecycle.emit

    def record_typed(event):  # TrialEnding, QuotaWarning: typed events for the rules
        seen.append(event.name)
        real_emit(event)

    for module in (lifecycle, subscriptions, usage):
        monkeypatch.setattr(module, "log_event", record)
    for module in (lifecycle, usage):
        monkeypatch.setattr(module, "emit", record_typed)
    return seen


@pytest.fixture
def trial(tenant, admin_user):
    with time_machine.travel(T0, tick=False):
        return start_trial(tenant)


def _run(at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return advance_trials_task.delay().get()


def _state(tenant):
    return BillingAccount.objects.for_tenant(tenant).get().access_state


def test_reminders_go_out_3_days_and_1_day_before_the_end_once_each(
    trial, tenant, admin_user, events, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    assert _run(T0 + timedelta(days=10), capture)["reminded"] == 0
    assert _run(T0 + timedelta(days=11, hours=1), capture)["reminded"] == 1
    assert _run(T0 + timedelta(days=11, hours=2), capture)["reminded"] == 0  # safe twice
    assert [m.to for m in mail.outbox] == [[admin_user.email]]
    assert "3" in mail.outbox[0].subject
    assert _run(T0 + timedelta(days=13, hours=1), capture)["reminded"] == 1
    assert _run(T0 + timedelta(days=13, hours=5), capture)["reminded"] == 0
    assert len(mail.outbox) == 2 and "1" in mail.outbox[1].subject
    assert events.count("trial_reminder_sent") == 2
    assert _state(tenant) == AccessState.ACTIVE


def test_a_late_run_sends_only_the_1_day_reminder(trial, django_capture_on_commit_callbacks):
    assert _run(T0 + timedelta(days=13, hours=2), django_capture_on_commit_callbacks) == {
        "reminded": 1,
        "trials_ended": 0,
        "blocked": 0,
    }
    assert len(mail.outbox) == 1


def test_unpaid_trial_turns_read_only_then_blocked_and_paying_lifts_it(
    trial,
    tenant,
    admin_user,
    outsider,
    admin_client_web,
    events,
    django_capture_on_commit_callbacks,
):
    capture = django_capture_on_commit_callbacks
    overview = reverse("web:overview", args=[tenant.slug])
    settings_page = reverse("tenants:settings", args=[tenant.slug])
    billing_page = reverse("billing:overview", args=[tenant.slug])
    api_tenant = f"/api/v1/tenants/{tenant.id}/"

    # the trial ends unpaid: read-only for 7 days
    ended = T0 + timedelta(days=14, minutes=1)
    assert _run(ended, capture)["trials_ended"] == 1
    assert _run(ended, capture)["trials_ended"] == 0
    with time_machine.travel(ended + timedelta(minutes=1), tick=False):
        admin_api, outsider_api = api_client_for(admin_user), api_client_for(outsider)
        account = BillingAccount.objects.for_tenant(tenant).get()
        assert account.access_state == AccessState.READ_ONLY
        assert account.read_only_until == T0 + timedelta(days=21)
        assert Subscription.objects.for_tenant(tenant).get().status == "expired"
        assert events[-2:] == ["trial_ended", "access_read_only"]
        assert "ended" in mail.outbox[-1].subject or "закончился" in mail.outbox[-1].subject

        page = admin_client_web.get(overview)
        assert page.status_code == 200
        refused = admin_client_web.post(settings_page, {"name": "New name"})
        assert refused.status_code == 402
        assert admin_client_web.post(settings_page, {"name": "x"}, **HX).status_code == 402
        assert admin_api.get(api_tenant).status_code == 200
        write = admin_api.patch(api_tenant, {"name": "New"}, format="json")
        assert write.status_code == 402
        assert write.json()["error"]["code"] == "payment_required"
        assert outsider_api.patch(api_tenant, {"name": "x"}, format="json").status_code == 404

        ent = entitlements_get(tenant)
        assert ent.tools == frozenset()  # paid tools off
        assert tenant_accepts_leads(tenant)  # the widget keeps collecting
        assert lead_quota_reserve(tenant, 1).allowed == 1

    # the grace ends: blocked, data kept
    blocked_at = T0 + timedelta(days=21, minutes=1)
    assert _run(blocked_at, capture)["blocked"] == 1
    assert _run(blocked_at, capture)["blocked"] == 0
    with time_machine.travel(blocked_at + timedelta(minutes=1), tick=False):
        admin_api = api_client_for(admin_user)  # JWTs live 15 minutes
        assert _state(tenant) == AccessState.BLOCKED
        assert events[-1] == "access_blocked"
        assert not tenant_accepts_leads(tenant)
        response = admin_client_web.get(overview)
        assert response.status_code == 302 and response["Location"] == billing_page
        assert admin_client_web.get(billing_page).status_code == 200
        assert admin_api.get(f"{api_tenant}team/").status_code == 402
        usage = admin_api.get(f"{api_tenant}billing/usage/")
        assert usage.status_code == 200 and usage.json()["used"] == 1

        # paying lifts everything at once, on the next request
        subscribe(tenant, "pro")
        assert "access_restored" in events
        assert admin_client_web.get(overview).status_code == 200
        assert admin_api.patch(api_tenant, {"name": "Paid"}, format="json").status_code == 200
        assert tenant_accepts_leads(tenant) and entitlements_get(tenant).has("export")


def test_paying_during_the_trial_ends_it_without_degradation(
    trial, tenant, django_capture_on_commit_callbacks
):
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        subscribe(tenant, "start")
    summary = _run(T0 + timedelta(days=15), django_capture_on_commit_callbacks)
    assert summary == {"reminded": 0, "trials_ended": 0, "blocked": 0}
    assert _state(tenant) == AccessState.ACTIVE and mail.outbox == []


def test_payments_can_block_and_restore_access_directly(tenant, events):
    subscribe(tenant, "pro")
    assert access_block(tenant=tenant, reason="dunning_exhausted")
    assert not access_block(tenant=tenant, reason="again")
    assert not tenant_accepts_leads(tenant) and entitlements_get(tenant).tools == frozenset()
    assert access_restore(tenant=tenant) and not access_restore(tenant=tenant)
    assert tenant_accepts_leads(tenant) and entitlements_get(tenant).has("export")
    assert events.count("access_blocked") == 1 and events.count("access_restored") == 1
