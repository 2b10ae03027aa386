from django.core.management.base import BaseCommand

from apps.core.schedules import schedules_install


class Command(BaseCommand):
    help = "Create or update the Celery beat schedules every app registered (idempotent)."

    def handle(self, *args, **options):
        for name in schedules_install():
            self.stdout.write(f"schedule ready: {name}")
