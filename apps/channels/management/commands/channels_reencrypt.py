"""Re-encrypt every channel's credentials under the first FIELD_ENCRYPTION_KEYS key."""

from django.core.management.base import BaseCommand

from apps.channels.services import channels_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored channel credential under the first key of "
        "FIELD_ENCRYPTION_KEYS (after prepending a new key; then the old one can be dropped)."
    )

    def handle(self, *args, **options):
        count = channels_reencrypt()
        self.stdout.write(f"Re-encrypted the credentials of {count} channel(s).")
