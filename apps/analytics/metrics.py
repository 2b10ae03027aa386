"""Prometheus gauges of the staff business metrics on /metrics (apps/core/metrics.py): a
collector computing `staff_metrics()` when scraped, cached for a minute."""

from __future__ import annotations

import structlog
from django.core.cache import cache
from prometheus_client.core import GaugeMetricFamily

from apps.analytics.staff import staff_metrics
from apps.core.metrics import register_scrape_collector

logger = structlog.get_logger(__name__)
CACHE_KEY = "analytics:staff-metrics"
CACHE_SECONDS = 60


def _gauge(name: str, doc: str, labels=()) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"fastlead_{name}", doc, labels=list(labels))


class BusinessMetricsCollector:
    def collect(self):
        try:
            data = cache.get(CACHE_KEY)
            if data is None:
                data = staff_metrics()
                cache.set(CACHE_KEY, data, CACHE_SECONDS)
        except Exception:  # a scrape must not fail because of the database
            logger.exception("business_metrics_failed")
            return
        by_currency = (
            ("mrr_minor", "Monthly recurring revenue, minor units", data["mrr"]),
            ("arr_minor", "Annual recurring revenue, minor units", data["arr"]),
            ("arpu_minor", "MRR per paying company, minor units", data["arpu"]),
            ("revenue_churn_percent", "Revenue churn over 30 days, %", data["revenue_churn"]),
            (
                "ai_revenue_minor",
                "Paid-action revenue over 30 days, minor units",
                data["ai_revenue"],
            ),
            (
                "dunning_amount_minor",
                "Owed by subscriptions in dunning, minor units",
                data["dunning_amount"],
            ),
        )
        for name, doc, values in by_currency:
            gauge = _gauge(name, doc, ["currency"])
            for currency, value in values.items():
                if value is not None:
                    gauge.add_metric([currency], float(value))
            yield gauge
        plain = (
            ("active_tenants", "Companies with a live subscription", data["active_tenants"]),
            ("paying_tenants", "Companies paying", data["paying_tenants"]),
            ("logo_churn_percent", "Logo churn over 30 days, %", data["logo_churn"]),
            (
                "trial_conversion_percent",
                "Trials ended in 30 days that pay, %",
                data["trial_conversion"],
            ),
            ("registrations_30d", "Users registered in 30 days", data["registrations_total"]),
            ("ai_cost_usd_30d", "AI cost over 30 days, USD", data["ai_cost_usd"]),
            ("dunning_subscriptions", "Subscriptions past due", data["dunning_count"]),
        )
        for name, doc, value in plain:
            gauge = _gauge(name, doc)
            gauge.add_metric([], float(value or 0))
            yield gauge

    def describe(self):
        return []  # computed on scrape: nothing to query at registration


COLLECTOR = BusinessMetricsCollector()


def register_collector() -> None:
    register_scrape_collector(COLLECTOR)  # also under the multiprocess /metrics
