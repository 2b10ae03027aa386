"""Load the public site's starting content and Fast Lead's own company, idempotently.

- the staff company (settings.STAFF_TENANT_SLUG) where Enterprise inquiries land, owned by
  `--owner` or the oldest superuser, with SITE_URL allowed to run its widget (the features
  page's live demo) and a live widget key;
- the seed blog categories and posts (apps/site/seed.py).

`seed_demo` runs it; in production run it once after creating the first superuser.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import ApplicationError
from apps.site.seed import seed_blog
from apps.site.services import staff_tenant_ensure
from apps.tenants import keys


class Command(BaseCommand):
    help = "Create the staff company and the seed blog posts if they are missing."

    def add_arguments(self, parser):
        parser.add_argument("--owner", help="e-mail of the staff company's administrator")

    def handle(self, *args, owner=None, **options):
        user = None
        if owner:
            user = get_user_model().objects.filter(email__iexact=owner).first()
            if user is None:
                raise CommandError(f"No user with e-mail {owner}")
        try:
            tenant = staff_tenant_ensure(owner=user)
        except ApplicationError as error:
            raise CommandError(
                "The staff company needs an owner: create a superuser or pass --owner."
            ) from error
        keys.publishable_key_get_or_create(tenant)
        posts = seed_blog()
        self.stdout.write(f"Site ready: staff company “{tenant.name}” (/{tenant.slug}/).")
        if posts:
            self.stdout.write(f"Seed blog posts created: {posts}.")
