"""Staff business metrics on a small known dataset: MRR/ARR/ARPU by currency, logo and
revenue churn, trial → paid, dunning, AI cost vs revenue; the admin page and /metrics."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from apps.ai.models import AIUsage
from apps.analytics.staff import staff_metrics
from apps.billing.models import Plan, Subscription, UsageCharge
from tests.factories import TenantFactory, UserFactory
from tests.staff import staff_login

pytestmark = pytest.mark.django_db


def _sub(plan, status, *, created_days, ended_days=None, trial_end_days=None):
    now = timezone.now()
    tenant = TenantFactory()
    sub = Subscription.objects.create(
        tenant=tenant,
        plan=plan,
        status=status,
        current_period_start=now - timedelta(days=5),
        current_period_end=now + timedelta(days=25),
        ended_at=None if ended_days is None else now - timedelta(days=ended_days),
        trial_ends_at=None if trial_end_days is None else now - timedelta(days=trial_end_days),
    )
    Subscription.objects.unscoped().filter(pk=sub.pk).update(
        created_at=now - timedelta(days=created_days)
    )
    return tenant


@pytest.fixture
def dataset():
    Subscription.objects.unscoped().all().delete()
    pro = Plan.objects.get(code="pro")
    trial = Plan.objects.get(code="trial")
    yearly = Plan.objects.create(
        code="eur-year",
        name_ru="Год",
        name_en="Year",
        price_amount=120000,
        currency="EUR",
        interval="year",
    )
    a = _sub(pro, "active", created_days=60)
    _sub(yearly, "active", created_days=60)
    _sub(pro, "canceled", created_days=60, ended_days=10)
    d = _sub(pro, "past_due", created_days=5)
    Subscription.objects.create(
        tenant=d,
        plan=trial,
        status="expired",
        current_period_start=timezone.now() - timedelta(days=20),
        current_period_end=timezone.now() - timedelta(days=6),
        trial_ends_at=timezone.now() - timedelta(days=6),
    )
    _sub(trial, "expired", created_days=20, trial_end_days=3)
    AIUsage.objects.unscoped().create(
        tenant=a,
        purpose="enrichment",
        provider="anthropic",
        model="m",
        outcome="ok",
        cost=Decimal("1.25"),
    )
    UsageCharge.objects.create(
        tenant=a,
        kind="enrichment",
        reference="r",
        quantity=10,
        unit_amount=500,
        amount=5000,
        currency="RUB",
        mode="card",
        status="authorized",
        idempotency_key="k1",
        refunded_amount=1000,
    )
    return pro


def test_mrr_churn_and_conversion_on_a_known_dataset(dataset):
    m = staff_metrics()
    price = dataset.price_amount
    assert m["mrr"] == {"RUB": 2 * price, "EUR": 10000}
    assert m["arr"] == {"RUB": 24 * price, "EUR": 120000}
    assert m["arpu"] == {"RUB": price, "EUR": 10000}
    assert m["logo_churn"] == 33.3  # 1 of the 3 paid subscriptions live 30 days ago
    assert m["revenue_churn"] == {"RUB": 50.0, "EUR": 0.0}
    assert (m["trials_ended"], m["trials_converted"], m["trial_conversion"]) == (2, 1, 50.0)
    assert (m["dunning_count"], m["dunning_amount"]) == (1, {"RUB": price})
    assert m["ai_cost_usd"] == Decimal("1.25") and m["ai_revenue"] == {"RUB": 4000}
    assert m["paying_tenants"] == 3 and m["active_tenants"] == 3


def test_staff_see_the_page_and_prometheus_the_gauges(client, dataset):
    assert client.get("/admin/analytics/businessmetrics/").status_code == 302
    staff_login(client, UserFactory(is_staff=True, is_superuser=True))
    response = client.get("/admin/analytics/businessmetrics/")
    assert response.status_code == 200
    page = response.content.decode()
    # staff see MRR per currency and churn (digits only: the locale groups and marks decimals)
    eur_mrr = re.search(r'data-currency="EUR">.*?<td data-mrr>([^<]*)<', page, re.DOTALL)
    rub_mrr = re.search(r'data-currency="RUB">.*?<td data-mrr>([^<]*)<', page, re.DOTALL)
    logo_churn = re.search(r"<td data-logo-churn>([^<]*)<", page)
    assert re.sub(r"\D", "", eur_mrr.group(1)) == "10000"
    assert re.sub(r"\D", "", rub_mrr.group(1)) == str(2 * dataset.price_amount)
    assert re.sub(r"\D", "", logo_churn.group(1)) == "333"
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    samples = {
        (s.name, s.labels.get("currency")): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }
    assert samples[("fastlead_mrr_minor", "RUB")] == 2 * dataset.price_amount
    assert samples[("fastlead_mrr_minor", "EUR")] == 10000
    assert samples[("fastlead_logo_churn_percent", None)] == 33.3
