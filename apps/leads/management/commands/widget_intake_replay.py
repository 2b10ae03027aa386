"""Queue the widget submissions that could not be stored again, once the cause is fixed:
`manage.py widget_intake_replay` (apps/leads/widget_intake.py keeps them 14 days)."""

from django.core.management.base import BaseCommand, CommandError

from apps.leads.tasks import widget_intake_wake
from apps.leads.widget_intake import IntakeUnavailable, intake_available, intake_replay_failed


class Command(BaseCommand):
    help = "Move the widget intake's dead-letter list back to its queue and wake a drain."

    def handle(self, *args, **options):
        if not intake_available():
            raise CommandError("The widget intake queue needs the Redis cache (REDIS_URL).")
        try:
            moved = intake_replay_failed()
        except IntakeUnavailable as error:
            raise CommandError(f"Redis cannot be reached: {error}") from error
        if moved:
            widget_intake_wake()
        self.stdout.write(f"{moved} submissions queued again")
