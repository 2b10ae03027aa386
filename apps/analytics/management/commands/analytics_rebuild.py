"""Recompute analytics rollups (repair / backfill): `manage.py analytics_rebuild --days 120`."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.analytics.rollups import local_day, range_refresh, tenant_zone
from apps.tenants.models import Tenant


class Command(BaseCommand):
    help = "Recompute the daily lead rollups of the last N local days (every tenant or one)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--tenant", help="a tenant id (default: every tenant)")
        parser.add_argument("--today", help="YYYY-MM-DD (default: today in each tenant's zone)")

    def handle(self, *args, days, tenant=None, today=None, **options):
        tenants = Tenant.objects.all().order_by("pk")
        if tenant:
            tenants = tenants.filter(pk=tenant)
        total = 0
        for item in tenants.iterator():
            last = (
                date.fromisoformat(today) if today else local_day(timezone.now(), tenant_zone(item))
            )
            total += range_refresh(item, last - timedelta(days=days - 1), last)
        self.stdout.write(f"{total} rollup rows written")
