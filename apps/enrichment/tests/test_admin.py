"""Staff console of AI enrichment: runs show their revenue next to their AI token cost."""

import pytest

from apps.billing.models import UsageCharge
from apps.enrichment.models import EnrichmentRun
from tests.factories import UserFactory
from tests.staff import staff_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff_login(client, UserFactory(is_staff=True, is_superuser=True))
    return client


def test_enrichment_run_changelist_shows_revenue_and_token_cost(staff_client, tenant):
    # 3 leads reserved at 10.00 RUB, one found nothing and was given back: 20.00 RUB earned
    charge = UsageCharge.objects.create(
        tenant=tenant,
        kind="enrichment",
        reference="run",
        quantity=3,
        unit_amount=1000,
        amount=3000,
        currency="RUB",
        mode="credit",
        status="authorized",
        idempotency_key="enrichment-run-admin-test",
        refunded_quantity=1,
        refunded_amount=1000,
    )
    EnrichmentRun.objects.create(
        tenant=tenant,
        usage_charge=charge,
        status="done",
        leads_selected=3,
        leads_enriched=3,
        price_amount=3000,
        price_currency="RUB",
        token_cost="0.012300",
        billing_reference="payment:abc",
    )
    response = staff_client.get("/admin/enrichment/enrichmentrun/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "20.00 RUB" in body and "0,012300" in body and "payment:abc" in body
