"""Staff see every AI call and the totals per tenant in the admin."""

from decimal import Decimal

import pytest

from apps.ai.models import AIUsage
from apps.ai.selectors import ai_usage_totals_by_tenant

pytestmark = pytest.mark.django_db


def _usage(tenant, **fields):
    defaults = {
        "purpose": "lead_enrichment",
        "provider": "anthropic",
        "model": "claude-sonnet-4-6",
        "model_version": "claude-sonnet-4-6",
        "input_tokens": 1000,
        "output_tokens": 200,
        "cost": Decimal("0.006000"),
        "outcome": "ok",
    }
    return AIUsage.objects.unscoped().create(tenant=tenant, **{**defaults, **fields})


@pytest.fixture
def usage_rows(tenant, other_tenant):
    _usage(tenant)
    _usage(tenant, outcome="error", error_code="timeout", input_tokens=0, output_tokens=0, cost=0)
    _usage(other_tenant, input_tokens=5000, output_tokens=1000, cost=Decimal("0.030000"))
    _usage(None, purpose="ops_check")


def test_totals_per_tenant_count_calls_errors_tokens_and_cost(usage_rows, tenant):
    rows = {
        row["tenant__name"]: row for row in ai_usage_totals_by_tenant(AIUsage.objects.unscoped())
    }
    acme = rows["Acme"]
    assert (acme["calls"], acme["errors"], acme["input_tokens"], acme["output_tokens"]) == (
        2,
        1,
        1000,
        200,
    )
    assert acme["cost"] == Decimal("0.006000")
    assert rows["Other Co"]["cost"] == Decimal("0.030000")
    assert rows[None]["calls"] == 1  # platform calls


def test_staff_changelist_shows_totals_and_filters_them(
    usage_rows, staff_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = staff_client.get("/admin/ai/aiusage/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="ai-usage-totals"' in page and "Acme" in page and "Other Co" in page
    assert response.context["usage_totals"]["calls"] == 4
    filtered = staff_client.get("/admin/ai/aiusage/?outcome__exact=error")
    assert filtered.context["usage_totals"]["calls"] == 1
    assert [row["tenant__name"] for row in filtered.context["usage_by_tenant"]] == ["Acme"]


def test_usage_rows_are_read_only_in_admin(usage_rows, staff_client):
    usage = AIUsage.objects.unscoped().first()
    assert staff_client.get("/admin/ai/aiusage/add/").status_code == 403
    response = staff_client.get(f"/admin/ai/aiusage/{usage.pk}/change/")
    assert response.status_code == 200 and response.context["has_change_permission"] is False
    edit = staff_client.post(f"/admin/ai/aiusage/{usage.pk}/change/", {"purpose": "x"})
    assert edit.status_code == 403
