from datetime import time

import pytest

from apps.billing.tests.helpers import subscribe
from apps.booking.models import BookingSettings
from apps.leads.ingestion.service import ingest_leads
from apps.leads.models import Lead, Source

EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]


@pytest.fixture(autouse=True)
def _booking_tool(request):
    """Meeting booking is a plan tool: the tests' companies are on Start, which includes it
    (tests of the locked tool move them to a plan without it)."""
    for name in ("tenant", "other_tenant"):
        if name in request.fixturenames:
            subscribe(request.getfixturevalue(name), "start")


@pytest.fixture
def booking_on(tenant):
    """The tenant offers 30-minute meetings every day 10:00–18:00 (Europe/Moscow)."""
    tenant.time_zone = "Europe/Moscow"
    tenant.save(update_fields=["time_zone"])
    return BookingSettings.objects.create(
        tenant=tenant,
        enabled=True,
        work_days=EVERY_DAY,
        work_from=time(10, 0),
        work_to=time(18, 0),
        slot_minutes=30,
        buffer_minutes=0,
    )


def make_lead(tenant, email="anna@example.com", name="Анна") -> Lead:
    ingest_leads(tenant=tenant, items=[{"email": email, "name": name}], source=Source.WIDGET)
    return Lead.objects.for_tenant(tenant).get(email=email)


@pytest.fixture
def lead(tenant):
    return make_lead(tenant)
