"""Beat schedules of analytics (registered in apps/analytics/wiring.py). Names never change.

- refresh recent days, every 15 minutes: the last two local days of every tenant (what no
  event announces: first contacts recorded by messaging, list moves, deletions);
- refresh history, every 24 hours: the last 120 days (repair);
- weekly report, every 15 minutes: sends on Monday from 09:00 in each tenant's time zone,
  once per ISO week (WeeklyReport row);
- lead drop alert, every hour: yesterday's leads below half the 4-week median, once per day.
"""

from apps.core.schedules import Schedule

SCHEDULES = (
    Schedule(
        "analytics: refresh recent days", "apps.analytics.tasks.refresh_recent_task", 15, "default"
    ),
    Schedule(
        "analytics: refresh history", "apps.analytics.tasks.refresh_history_task", 1440, "default"
    ),
    Schedule("analytics: weekly report", "apps.analytics.tasks.weekly_reports_task", 15, "default"),
    Schedule(
        "analytics: lead drop alert", "apps.analytics.tasks.lead_drop_alerts_task", 60, "default"
    ),
)
