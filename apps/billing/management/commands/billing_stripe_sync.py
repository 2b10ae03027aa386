"""Create or update the Stripe Product and monthly Price of every EUR plan (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from apps.billing.stripe_catalog import stripe_catalog_sync
from apps.core.errors import ProviderError
from apps.payments import gateways


class Command(BaseCommand):
    help = (
        "Create/update the Stripe Product + Price for each EUR plan (lookup_key = plan code) "
        "and store the price id in Plan.provider_price_ids."
    )

    def handle(self, *args, **options):
        if not gateways.provider_configured(gateways.STRIPE):
            raise CommandError("Stripe is not configured: set STRIPE_SECRET_KEY.")
        try:
            synced = stripe_catalog_sync()
        except ProviderError as exc:
            raise CommandError(f"Stripe did not accept the sync: {exc.message}") from exc
        for item in synced:
            self.stdout.write(f"{item.plan_code}: {item.price_id} ({item.action})")
        self.stdout.write(self.style.SUCCESS(f"{len(synced)} plan(s) synced with Stripe."))
