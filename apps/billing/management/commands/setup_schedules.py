from django.core.management.base import BaseCommand

from apps.billing.schedules import setup_schedules


class Command(BaseCommand):
    help = "Create or update the Celery beat schedules of billing and features (idempotent)."

    def handle(self, *args, **options):
        for name in setup_schedules():
            self.stdout.write(f"schedule ready: {name}")
