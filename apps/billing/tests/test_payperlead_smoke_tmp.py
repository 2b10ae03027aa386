import json
from datetime import date
import pytest
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Customer
from apps.billing.payperlead import services

pytestmark = pytest.mark.django_db

def test_smoke(tenant):
    items = json.load(open("apps/leads/fixtures/seed_002_sample.json"))
    out = ingest_leads(tenant=tenant, items=items, source="api")
    assert out.summary["rejected"] == 0
    c = Customer.objects.for_tenant(tenant).get(external_ref="customer-123")
    r = services.report_compute(tenant=tenant, customer=c, period=date(2024, 4, 1))
    print(r.record.__dict__)
    for l in r.lines: print(l)
    alls = services.report_compute_all(tenant=tenant, period=date(2024, 4, 1))
    print([(x.customer.external_ref, x.record.billed) for x in alls])
    services.period_close(tenant=tenant, actor=None, period=date(2024, 4, 1))
    r2 = services.report_compute(tenant=tenant, customer=c, period=date(2024, 4, 1))
    print(r2.record.frozen, r2.record.billed, len(r2.lines))
