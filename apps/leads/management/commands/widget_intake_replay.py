"""Queue the widget submissions that could not be stored again, once the cause is fixed:
`manage.py widget_intake_replay` (apps/leads/widget_intake.py keeps them 14 days)."""

from django.core.management.base import BaseCommand

from apps.leads.tasks import widget_intake_wake
from apps.leads.widget_intake import intake_replay_failed


class Command(BaseCommand):
    help = "Queue the widget submissions whose storing failed again, and wake a drain."

    def handle(self, *args, **options):
        queued = intake_replay_failed()
        if queued:
            widget_intake_wake()
        self.stdout.write(f"{queued} submissions queued again")
