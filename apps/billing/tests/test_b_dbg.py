import pytest
from apps.billing.tests.helpers import subscribe
pytestmark = pytest.mark.django_db
def test_dbg(tenant, admin_api):
    subscribe(tenant, "start")
    r = admin_api.post(f"/api/v1/tenants/{tenant.pk}/billing/subscription/cancel/", {"at_period_end": False})
    print("CANCEL", r.status_code, r.content)
    r = admin_api.patch(f"/api/v1/tenants/{tenant.pk}/billing/account/", {"rub_provider": "tinkoff", "billing_email": "nope"})
    print("PATCH", r.status_code, r.content)
