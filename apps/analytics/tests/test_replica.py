"""Analytics reads go to the replica alias when DATABASE_REPLICA_URL configured it; off by
default; rollup writes always go to the primary."""

from django.test import override_settings

from apps.analytics.models import DailyLeadStats
from apps.analytics.routers import REPLICA, AnalyticsReplicaRouter, read_alias
from apps.leads.models import Lead


def test_off_by_default():
    assert read_alias() == "default"
    assert AnalyticsReplicaRouter().db_for_read(DailyLeadStats) is None


def test_with_a_replica_only_analytics_reads_move(settings):
    databases = {**settings.DATABASES, REPLICA: {**settings.DATABASES["default"]}}
    with override_settings(DATABASES=databases):
        router = AnalyticsReplicaRouter()
        assert read_alias() == REPLICA
        assert router.db_for_read(DailyLeadStats) == REPLICA
        assert router.db_for_read(Lead) is None  # the rest of the app reads the primary
        assert router.db_for_write(DailyLeadStats) is None
        assert router.allow_migrate(REPLICA, "analytics") is False
