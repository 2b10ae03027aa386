from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from apps.analytics.rollups import range_refresh
from apps.leads.models import Lead, LeadList, LeadStatus, Source
from apps.tenants.scoping import tenant_scope

MSK = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=MSK)  # a Saturday


def make_lead(
    tenant,
    n: int,
    *,
    created_at,
    source=Source.WIDGET,
    status=LeadStatus.NEW,
    first_contact_at=None,
    lead_list=None,
    assigned_to=None,
) -> Lead:
    with tenant_scope(tenant):
        return Lead.objects.create(
            tenant=tenant,
            person_key=f"p{n}",
            identity_key=f"i{n}",
            email=f"lead{n}@example.com",
            source=source,
            status=status,
            created_at=created_at,
            first_contact_at=first_contact_at,
            list=lead_list,
            assigned_to=assigned_to,
        )


@pytest.fixture
def mixed_leads(tenant):
    """22 leads over 10 days, several sources, two lists, every status, known TTFCs."""
    hot = LeadList.objects.create(tenant=tenant, name="Hot")
    cold = LeadList.objects.create(tenant=tenant, name="Cold")
    statuses = [
        LeadStatus.NEW,
        LeadStatus.CONTACTED,
        LeadStatus.BOOKED,
        LeadStatus.WON,
        LeadStatus.LOST,
    ]
    sources = [Source.WIDGET, Source.TELEGRAM, Source.API, Source.EMAIL]
    leads = []
    for n in range(22):
        created = NOW - timedelta(days=n % 10, hours=n)
        status = statuses[n % 5]
        contact = None
        if status != LeadStatus.NEW and n % 7:
            contact = created + timedelta(minutes=3 * n + 1)
        leads.append(
            make_lead(
                tenant,
                n,
                created_at=created,
                source=sources[n % 4],
                status=status,
                first_contact_at=contact,
                lead_list=[None, hot, cold][n % 3],
            )
        )
    return leads


CARD_KEYS = ("leads", "conversion", "meetings", "ttfc_median", "ttfc_p90", "unanswered", "usage")


@pytest.fixture
def rolled(tenant, mixed_leads):
    """The mixed leads with their rollups computed."""
    range_refresh(tenant, (NOW - timedelta(days=40)).date(), NOW.date())
    return mixed_leads
