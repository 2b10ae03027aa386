"""Beat schedules: each app registers its own, core installs them as django-celery-beat rows
after migrate and with `manage.py setup_schedules`; queues come from CELERY_TASK_ROUTES."""

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from apps.core import schedules
from apps.core.schedules import Schedule, register_schedules, registered_schedules
from fastlead.celery import app

pytestmark = pytest.mark.django_db

# The rows saved in production databases: names, tasks, intervals and queues never change.
BEAT_ROWS = {
    (
        "privacy: delete data past each company's retention",
        "apps.privacy.tasks.apply_retention_task",
        60,
        "default",
    ),
    (
        "privacy: delete companies closed 30 days ago",
        "apps.privacy.tasks.delete_closed_companies_task",
        60,
        "default",
    ),
    (
        "payments: fiscal receipts awaiting registration",
        "apps.payments.tasks.refresh_pending_receipts_task",
        10,
        "billing",
    ),
    (
        "payments: deleted companies' invoices past their retention",
        "apps.payments.tasks.purge_retained_records_task",
        1440,
        "billing",
    ),
    ("billing: trial lifecycle", "apps.billing.tasks.advance_trials_task", 5, "billing"),
    ("billing: usage periods", "apps.billing.tasks.roll_usage_periods_task", 15, "billing"),
    (
        "billing: renewals and dunning",
        "apps.billing.tasks.charge_due_subscriptions_task",
        1440,
        "billing",
    ),
    ("billing: usage warnings", "apps.billing.tasks.sweep_usage_warnings_task", 30, "billing"),
    (
        "leads: recover stale enrichment runs",
        "apps.leads.enrichment.tasks.recover_stale_enrichment_runs_task",
        10,
        "ai",
    ),
    ("leads: purge old files", "apps.leads.tasks.purge_lead_files_task", 360, "default"),
    (
        "leads: store queued widget submissions",
        "apps.leads.tasks.widget_intake_drain_task",
        1,
        "default",
    ),
    ("features: expire overrides", "apps.features.tasks.expire_tenant_features_task", 5, "default"),
    (
        "messaging: abandoned sends become unknown",
        "apps.messaging.tasks.recover_abandoned_sends_task",
        5,
        "messaging",
    ),
    (
        "messaging: run due rule decisions",
        "apps.messaging.rules.tasks.run_due_decisions_task",
        1,
        "messaging",
    ),
    ("analytics: refresh recent days", "apps.analytics.tasks.refresh_recent_task", 15, "default"),
    ("analytics: refresh history", "apps.analytics.tasks.refresh_history_task", 1440, "default"),
    ("analytics: weekly report", "apps.analytics.tasks.weekly_reports_task", 15, "default"),
    ("analytics: lead drop alert", "apps.analytics.tasks.lead_drop_alerts_task", 60, "default"),
    (
        "webhooks: send due deliveries and retries",
        "apps.integrations.tasks.dispatch_webhook_deliveries_task",
        1,
        "messaging",
    ),
    (
        "webhooks: abandoned sends go again",
        "apps.integrations.tasks.recover_webhook_deliveries_task",
        5,
        "messaging",
    ),
    (
        "crm sync: run due jobs and retries",
        "apps.integrations.crm.tasks.dispatch_crm_jobs_task",
        1,
        "messaging",
    ),
    (
        "crm sync: abandoned jobs go again",
        "apps.integrations.crm.tasks.recover_crm_jobs_task",
        5,
        "messaging",
    ),
}


def _rows() -> set[tuple]:
    return {
        (t.name, t.task, t.interval.every, t.queue)
        for t in PeriodicTask.objects.select_related("interval").exclude(
            name="celery.backend_cleanup"
        )
    }


def test_the_apps_register_exactly_the_beat_rows_of_before():
    registered = {(s.name, s.task, s.every_minutes, s.queue) for s in registered_schedules()}
    assert registered == BEAT_ROWS


def test_migrate_registered_every_schedule():
    assert _rows() == BEAT_ROWS
    assert {t.interval.period for t in PeriodicTask.objects.select_related("interval")} == {
        IntervalSchedule.MINUTES
    }


def test_setup_schedules_is_idempotent_and_keeps_a_staff_disable(capsys):
    name = registered_schedules()[0].name
    PeriodicTask.objects.filter(name=name).update(enabled=False)
    call_command("setup_schedules")
    call_command("setup_schedules")
    assert PeriodicTask.objects.count() == len(BEAT_ROWS)
    assert PeriodicTask.objects.get(name=name).enabled is False
    assert "schedule ready" in capsys.readouterr().out


def test_rows_saved_by_the_old_layout_are_updated_in_place_not_duplicated():
    # given the rows as billing's old `setup_schedules` wrote them, one of them drifted
    ids = dict(PeriodicTask.objects.values_list("name", "pk"))
    PeriodicTask.objects.filter(name="leads: purge old files").update(queue="ai")
    # when core installs the registered schedules
    call_command("setup_schedules")
    # then the same rows (same ids) hold the same tasks
    assert dict(PeriodicTask.objects.values_list("name", "pk")) == ids
    assert _rows() == BEAT_ROWS


def test_every_scheduled_task_is_registered_with_celery():
    app.loader.import_default_modules()
    for schedule in registered_schedules():
        assert schedule.task in app.tasks


def test_a_second_schedule_under_a_taken_name_is_refused(monkeypatch):
    monkeypatch.setattr(schedules, "_schedules", {})
    first = Schedule("x: one", "apps.x.tasks.one_task", 5, "default")
    register_schedules(first)
    register_schedules(first)  # wiring it again is harmless
    with pytest.raises(ValueError, match="x: one"):
        register_schedules(Schedule("x: one", "apps.x.tasks.other_task", 5, "default"))
    assert registered_schedules() == (first,)


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("apps.billing.tasks.advance_trials_task", "billing"),
        ("apps.billing.tasks.refund_complete_task", "billing"),
        ("apps.billing.tasks.send_billing_notice_task", "billing"),
        ("apps.billing.payperlead.tasks.close_billing_period_task", "billing"),
        ("apps.tenants.tasks.send_invitation_email_task", "messaging"),
        ("apps.leads.enrichment.tasks.enrich_lead_task", "ai"),
        ("apps.leads.enrichment.tasks.enrichment_fan_out_task", "ai"),
        ("apps.leads.enrichment.tasks.enrichment_settle_task", "billing"),
        ("apps.leads.enrichment.tasks.recover_stale_enrichment_runs_task", "default"),
        ("apps.leads.tasks.export_leads_task", "default"),
        ("apps.leads.tasks.purge_lead_files_task", "default"),
        ("apps.leads.tasks.widget_intake_drain_task", "default"),
        ("apps.leads.imports.tasks.import_leads_task", "default"),
        ("apps.features.tasks.expire_tenant_features_task", "default"),
    ],
)
def test_each_task_keeps_its_queue(task, queue):
    app.loader.import_default_modules()
    assert task in app.tasks
    options = app.amqp.router.route({}, task, task_type=app.tasks[task])
    assert options["queue"].name == queue
