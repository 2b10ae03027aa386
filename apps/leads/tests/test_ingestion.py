import pytest

from apps.leads.ingestion import ingest_leads
from apps.leads.models import Customer, Lead, LeadAction, Product, TimelineEntry
from apps.leads.tests.conftest import seed_sample
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def test_seed_sample_is_accepted_as_it_stands(tenant):
    outcome = ingest_leads(tenant=tenant, items=seed_sample(), source="api")
    assert outcome.summary == {"received": 4, "created": 4, "merged": 0, "rejected": 0}
    with tenant_scope(tenant):
        assert Lead.objects.count() == 4
        assert LeadAction.objects.count() == 6
        assert TimelineEntry.objects.count() == 4
        assert sorted(Customer.objects.values_list("external_ref", flat=True)) == [
            "customer-123",
            "customer-456",
        ]
        assert Product.objects.count() == 3
        lead = Lead.objects.get(external_id="uuid-1")
        assert lead.person_key == "id:uuid-1" and lead.lead_type == "Website Visit"
        assert lead.created_at.isoformat() == "2024-04-01T09:55:00+00:00"


def test_resubmitting_the_sample_is_idempotent(tenant):
    ingest_leads(tenant=tenant, items=seed_sample(), source="api")
    outcome = ingest_leads(tenant=tenant, items=seed_sample(), source="api")
    assert outcome.summary["merged"] == 4
    assert all(r.actions_added == 0 for r in outcome.results)
    with tenant_scope(tenant):
        assert Lead.objects.count() == 4 and LeadAction.objects.count() == 6


def test_same_email_same_customer_and_product_merges(tenant):
    base = {"customer_id": "c1", "product_id": "p1", "email": "Ann@Example.com"}
    first = ingest_leads(
        tenant=tenant,
        items=[
            {
                **base,
                "lead_id": "a",
                "actions": [
                    {
                        "action_type": "Like",
                        "timestamp": "2024-04-01T10:00:00Z",
                        "engagement_level": "low",
                    }
                ],
            }
        ],
        source="api",
    )
    second = ingest_leads(
        tenant=tenant,
        items=[
            {
                **base,
                "lead_id": "b",
                "phone": "8 916 123-45-67",
                "actions": [
                    {
                        "action_type": "Share",
                        "timestamp": "2024-04-02T10:00:00Z",
                        "engagement_level": "High",
                    }
                ],
            }
        ],
        source="api",
    )
    assert second.results[0].status == "merged"
    assert second.results[0].lead_id == first.results[0].lead_id
    with tenant_scope(tenant):
        lead = Lead.objects.get()
        assert lead.email == "ann@example.com"
        assert lead.phone == "+79161234567"  # blank filled by the merge
        assert LeadAction.objects.filter(lead=lead).count() == 2
        assert list(lead.timeline.values_list("kind", flat=True).order_by("id")) == [
            "created",
            "merged",
        ]


def test_same_person_on_another_product_is_another_lead(tenant):
    items = [
        {"email": "a@example.com", "product_id": "p1"},
        {"email": "a@example.com", "product_id": "p2"},
        {"email": "a@example.com", "product_id": "p1"},
    ]
    outcome = ingest_leads(tenant=tenant, items=items, source="api")
    assert [r.status for r in outcome.results] == ["created", "created", "merged"]
    assert outcome.results[2].lead_id == outcome.results[0].lead_id


def test_invalid_items_store_nothing_and_say_why(tenant):
    items = [
        {"email": "ok@example.com"},
        {"email": "not-an-email"},
        {"phone": "12"},
        {
            "lead_id": "x",
            "actions": [
                {
                    "action_type": "A",
                    "timestamp": "2024-02-30T00:00:00Z",
                    "engagement_level": "High",
                }
            ],
        },
        {"lead_id": "y", "surprise": 1},
        {
            "lead_id": "z",
            "actions": [
                {
                    "action_type": "A",
                    "timestamp": "2024-02-01T00:00:00Z",
                    "engagement_level": "Extreme",
                }
            ],
        },
        {},
        "not an object",
    ]
    outcome = ingest_leads(tenant=tenant, items=items, source="api")
    statuses = [r.status for r in outcome.results]
    assert statuses == ["created"] + ["rejected"] * 7
    errors = [r.errors for r in outcome.results[1:]]
    assert "email" in errors[0] and "phone" in errors[1]
    assert "actions.0.timestamp" in errors[2]
    assert "surprise" in errors[3]
    assert "actions.0.engagement_level" in errors[4]
    with tenant_scope(tenant):
        assert Lead.objects.count() == 1


def test_tenants_never_merge_into_each_other(tenant, other_tenant):
    ingest_leads(tenant=tenant, items=[{"email": "a@example.com"}], source="api")
    outcome = ingest_leads(tenant=other_tenant, items=[{"email": "a@example.com"}], source="api")
    assert outcome.results[0].status == "created"


def test_a_large_batch_keeps_metadata_and_messages(tenant):
    """Over the small-batch threshold the rows go by COPY (PostgreSQL): same content."""
    items = [
        {
            "email": f"bulk{i}@example.com",
            "message": f"Message {i}" if i % 2 else "",
            "actions": [
                {
                    "action_type": "Visit",
                    "timestamp": "2024-04-01T10:00:00Z",
                    "engagement_level": "low",
                    "metadata": {"page": f"/p/{i}"} if i % 3 else {},
                }
            ],
        }
        for i in range(60)
    ]
    outcome = ingest_leads(tenant=tenant, items=items, source="api")
    assert outcome.summary["created"] == 60
    with tenant_scope(tenant):
        metadata = dict(LeadAction.objects.values_list("lead__email", "metadata"))
        assert metadata["bulk1@example.com"] == {"page": "/p/1"}
        assert metadata["bulk3@example.com"] == {}
        assert TimelineEntry.objects.filter(kind="message_in").count() == 30
        lead = Lead.objects.get(email="bulk5@example.com")
        assert lead.manual_fields == [] and lead.timeline.get(kind="message_in").body == "Message 5"


def test_merged_items_in_one_batch_reserve_ids_without_using_them(tenant):
    first = ingest_leads(tenant=tenant, items=[{"email": "gap@example.com"}], source="api")
    second = ingest_leads(
        tenant=tenant,
        items=[{"email": "gap@example.com"}, {"email": "new@example.com"}],
        source="api",
    )
    assert [r.status for r in second.results] == ["merged", "created"]
    assert second.results[0].lead_id == first.results[0].lead_id
    with tenant_scope(tenant):
        assert Lead.objects.filter(pk=second.results[1].lead_id).exists()


def test_merges_fill_blanks_of_many_leads_in_a_few_statements(
    tenant, django_assert_max_num_queries
):
    first = [{"lead_id": f"r{i}", "email": f"p{i}@example.com"} for i in range(40)]
    ingest_leads(tenant=tenant, items=first, source="import", count_quota=False)
    again = [
        {**item, "phone": f"+7916123{i:04d}", "company": "Acme"} for i, item in enumerate(first)
    ]
    with django_assert_max_num_queries(15):
        outcome = ingest_leads(tenant=tenant, items=again, source="import", count_quota=False)
    assert outcome.summary["merged"] == 40
    with tenant_scope(tenant):
        assert Lead.objects.filter(company="Acme").count() == 40
        assert Lead.objects.get(external_id="r7").phone == "+79161230007"
