"""Erase one of our users' personal data (staff, on the user's request):

    manage.py erase_user <user id> --yes

The account can no longer sign in; its name and addresses are anonymized everywhere they were
registered (apps/core/personal_data.py); the audit log keeps what it did, by id."""

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.privacy.services.people import user_erase


class Command(BaseCommand):
    help = "Erase one user's personal data (cannot be undone)."

    def add_arguments(self, parser):
        parser.add_argument("user_id", type=int)
        parser.add_argument("--yes", action="store_true", help="Confirm: this cannot be undone.")

    def handle(self, *args, user_id: int, yes: bool, **options):
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            raise CommandError(f"No user {user_id}.")
        if not yes:
            raise CommandError("Add --yes: erasure cannot be undone.")
        user_erase(user=user, actor=None)
        self.stdout.write(f"User {user_id} erased.")
