"""Re-encrypt every webhook endpoint's signing secret under the first FIELD_ENCRYPTION_KEYS key."""

from django.core.management.base import BaseCommand

from apps.integrations.services import endpoints_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every webhook signing secret under the first key of FIELD_ENCRYPTION_KEYS "
        "(after prepending a new key, with channels_reencrypt; then the old key can be dropped)."
    )

    def handle(self, *args, **options):
        count = endpoints_reencrypt()
        self.stdout.write(f"Re-encrypted the signing secrets of {count} webhook endpoint(s).")
