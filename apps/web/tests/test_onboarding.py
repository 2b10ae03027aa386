"""The onboarding wizard: on for new companies (TenantCreated), opened once after sign-up,
each step done or skipped with progress saved (resumable), the widget step's partial draft
preview, the calendar step (the built-in scheduler, or skip only without the booking tool),
the snippet e-mail, the flag as a kill switch, the overview's checklist and tour, and
administrators of this company only."""

import pytest
from django.core import mail
from waffle.testutils import override_flag

from apps.billing.tests.helpers import subscribe
from apps.booking.models import BookingSettings
from apps.core.tasks import send_mail_task
from apps.leads.models import WidgetConfig
from apps.tenants.audit import AuditAction, audit_log
from apps.tenants.models import Tenant
from apps.tenants.services import tenant_create
from apps.web.models import OnboardingProgress
from apps.web.onboarding import progress_get
from tests.factories import UserFactory


@pytest.fixture
def new_company(db, client):
    user = UserFactory()
    tenant = tenant_create(user=user, name="Цветы")
    client.force_login(user)
    return tenant, user


def step(tenant, name=""):
    return f"/t/{tenant.slug}/welcome/{name + '/' if name else ''}"


def test_a_new_company_starts_the_wizard_once_a_session(client, new_company):
    tenant, _user = new_company
    assert OnboardingProgress.objects.unscoped().filter(tenant=tenant).exists()
    first = client.get(f"/t/{tenant.slug}/")
    assert first.status_code == 302 and first["Location"] == step(tenant)
    assert client.get(step(tenant))["Location"] == step(tenant, "company")
    assert client.get(f"/t/{tenant.slug}/").status_code == 200  # not forced twice


def test_steps_save_progress_and_the_wizard_resumes(
    client, new_company, english_ui, django_capture_on_commit_callbacks
):
    tenant, _user = new_company
    # company: the site becomes an allowed origin, the time zone is saved
    response = client.post(
        step(tenant, "company"), {"site": "https://flowers.example/shop", "time_zone": "Asia/Omsk"}
    )
    assert response["Location"] == step(tenant, "widget")
    tenant = Tenant.objects.get(pk=tenant.pk)
    assert tenant.time_zone == "Asia/Omsk" and tenant.site_domain == "flowers.example"
    assert tenant.allowed_origins == ["https://flowers.example"]
    # widget basics: saved as a new version
    response = client.post(
        step(tenant, "widget"),
        {"title_ru": "Закажите букет", "button_ru": "Жду звонка", "primary_color": "#aa0066"},
    )
    assert response["Location"] == step(tenant, "channel")
    config = WidgetConfig.objects.unscoped().get(tenant=tenant)
    assert config.title_ru == "Закажите букет" and config.version == 2
    # channel skipped; leaving now and coming back resumes at the calendar
    client.post(step(tenant, "channel"), {"skip": "1"})
    assert client.get(step(tenant))["Location"] == step(tenant, "calendar")
    html = client.get(step(tenant, "calendar")).content.decode()
    assert "Open meeting settings" in html  # the booking app's settings page
    assert f'href="/t/{tenant.slug}/booking/' in html
    client.post(step(tenant, "calendar"), {"skip": "1"})
    # the snippet e-mailed to a developer
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(step(tenant, "snippet"), {"email": "dev@flowers.example"})
    assert response["Location"] == step(tenant, "test")
    assert mail.outbox[-1].to == ["dev@flowers.example"]
    assert "fastlead.js" in mail.outbox[-1].body
    # the test step polls for the first lead; finishing opens the tour
    html = client.get(step(tenant, "test")).content.decode()
    assert 'data-test="1"' in html and "Waiting for a request" in html
    done = client.post(step(tenant, "test"), {})
    assert done["Location"] == f"/t/{tenant.slug}/?tour=1"
    progress = progress_get(tenant)
    assert progress.done == ["company", "widget", "snippet", "test"]
    assert progress.skipped == ["channel", "calendar"] and progress.finished_at
    overview = client.get(done["Location"]).content.decode()
    assert "A quick tour" in overview and "Setup wizard: 6 of 6 steps" in overview
    client.post(f"/t/{tenant.slug}/tour/done/")
    assert "A quick tour" not in client.get(f"/t/{tenant.slug}/").content.decode()


def test_a_mail_server_that_is_down_does_not_break_the_snippet_step(
    client, new_company, mail_server, monkeypatch, django_capture_on_commit_callbacks
):
    tenant, _user = new_company
    queued = []
    monkeypatch.setattr(send_mail_task, "delay", lambda *args: queued.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(step(tenant, "snippet"), {"email": "dev@flowers.example"})

    assert response.status_code == 302 and progress_get(tenant).done == ["snippet"]
    (subject, body, recipients), *more = queued  # a worker sends it, retrying while it is down
    assert recipients == ["dev@flowers.example"] and "fastlead.js" in body and not more
    assert "Цветы" in subject


def test_invalid_step_input_is_shown_per_field(client, new_company, english_ui):
    tenant, _user = new_company
    response = client.post(step(tenant, "company"), {"site": "", "time_zone": "Mars/Base"})
    assert response.status_code == 200
    assert progress_get(tenant).done == []
    assert "This field is required" in response.content.decode()
    bad = client.post(step(tenant, "widget"), {"primary_color": "pink"})
    assert bad.status_code == 200 and "#RRGGBB" in bad.content.decode()


def test_widget_step_previews_a_partial_draft(client, new_company):
    tenant, _user = new_company
    response = client.post(
        f"/t/{tenant.slug}/widget/draft/",
        {"partial": "1", "title_ru": "Черновик", "primary_color": "#123456", "lang": "ru"},
    )
    assert response.status_code == 200, response.content
    config = response.json()["config"]
    assert config["texts"]["title"] == "Черновик" and config["colors"]["primary"] == "#123456"
    assert config["consents"]["marketing"]  # the saved settings fill what the step lacks
    assert not WidgetConfig.objects.unscoped().filter(tenant=tenant).exists()  # a draft: unsaved


def test_the_flag_switched_off_for_everyone_hides_the_wizard(client, new_company):
    tenant, _user = new_company
    with override_flag("onboarding_wizard", active=False):
        assert client.get(f"/t/{tenant.slug}/").status_code == 200
        assert client.get(step(tenant, "company")).status_code == 404


def test_existing_companies_have_no_wizard_unless_the_flag_is_on(admin_client_web, tenant):
    assert admin_client_web.get(step(tenant, "company")).status_code == 404
    with override_flag("onboarding_wizard", active=True):
        assert admin_client_web.get(step(tenant, "company")).status_code == 200


def test_wizard_is_for_administrators(operator_client_web, tenant):
    with override_flag("onboarding_wizard", active=True):
        assert operator_client_web.get(step(tenant, "company")).status_code == 403


def test_wizard_of_another_company_is_not_found(client, new_company, other_tenant):
    with override_flag("onboarding_wizard", active=True):
        assert client.get(step(other_tenant, "company")).status_code == 404


def test_the_calendar_step_switches_the_built_in_scheduler_on(client, new_company, english_ui):
    tenant, user = new_company
    html = client.get(step(tenant, "calendar")).content.decode()
    assert 'name="enabled"' in html and 'name="work_days"' in html
    # a day that ends before it starts is named on its field, nothing saved
    bad = {"enabled": "on", "work_days": ["0"], "work_from": "18:00", "work_to": "10:00"}
    response = client.post(step(tenant, "calendar"), {**bad, "slot_minutes": "30"})
    assert response.status_code == 200
    assert "The end of the working day must be after its start." in response.content.decode()
    assert not BookingSettings.objects.for_tenant(tenant).filter(enabled=True).exists()

    response = client.post(
        step(tenant, "calendar"),
        {
            "enabled": "on",
            "work_days": ["0", "1", "2", "3", "4", "5"],
            "work_from": "09:00",
            "work_to": "17:00",
            "slot_minutes": "45",
        },
    )

    assert response["Location"] == step(tenant, "company")  # the first step not handled yet
    row = BookingSettings.objects.for_tenant(tenant).get()
    assert row.enabled and row.work_days == [0, 1, 2, 3, 4, 5] and row.slot_minutes == 45
    assert "calendar" in progress_get(tenant).done
    entry = audit_log(tenant).get(action=AuditAction.BOOKING_SETTINGS_CHANGED)
    assert entry.actor == user and entry.after["enabled"] is True


def test_without_the_booking_tool_the_calendar_step_can_only_be_skipped(
    client, new_company, english_ui
):
    tenant, _user = new_company
    subscribe(tenant, "email_2500")
    html = client.get(step(tenant, "calendar")).content.decode()
    assert "Meeting booking is not included in your plan" in html
    assert 'name="enabled"' not in html
    client.post(step(tenant, "calendar"), {"enabled": "on", "work_days": ["0"]})
    assert not BookingSettings.objects.for_tenant(tenant).filter(enabled=True).exists()
