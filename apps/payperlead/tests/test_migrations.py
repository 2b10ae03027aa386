"""Pay-per-lead's move out of billing loses nothing: a database filled while the models still
belonged to `billing` (billing 0007) migrates forward and reads back through the new app.

Runs on SQLite and PostgreSQL, over a graph without dj-stripe's migrations (tests/migrating.py):
no billing or pay-per-lead migration depends on dj-stripe.
"""

from datetime import UTC, date, datetime

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from apps.payperlead import presenters, selectors, services
from apps.payperlead.models import BillingLine, BillingPeriod, BillingReport, RateCard
from apps.tenants.models import Tenant
from apps.tenants.roles import Role
from apps.tenants.scoping import tenant_scope
from conftest import api_client_for
from tests import migrating
from tests.factories import MembershipFactory

OLD_LAYOUT = [("billing", "0007_billing_event_renewal_upcoming"), ("payperlead", None)]
MOVED = ("ratecard", "billingperiod", "billingreport", "billingline")
TABLES = {
    "billing_ratecard",
    "billing_billingperiod",
    "billing_billingreport",
    "billing_billingline",
}
APRIL = date(2024, 4, 1)
# What the old layout's bill says, line by line: billed, a duplicate, one over the cap.
LINES = [
    # action_ref, engagement, value, billed, savings, reason, duplicate_of_ref, billed_before
    (101, "High", 1000, 1000, 0, "none", None, 0),
    (102, "High", 1000, 0, 1000, "duplicate", 101, 1000),
    (103, "Medium", 500, 300, 200, "cap", None, 1000),
]
TOTALS = {"actions_count": 3, "gross": 2500, "billed": 1300, "savings_duplicate": 1000}
TOTALS["savings_cap"] = 200


def _migrate(targets):
    """Migrate to `targets` and answer the historical apps of the state reached."""
    return migrating.migrate(targets)


def _latest():
    return migrating.latest()


def _at(day: int, hour: int) -> datetime:
    return datetime(2024, 4, day, hour, tzinfo=UTC)


def _fill_old_layout(apps) -> dict:
    """Rows written through billing's historical models, as the old code wrote them."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    # (models added to payperlead later keep their content types when migrating back)
    moved = ("ratecard", "billingperiod", "billingreport", "billingline")
    assert not ContentType.objects.filter(app_label="payperlead", model__in=moved).exists()
    tenant = apps.get_model("tenants", "Tenant").objects.create(name="Old Co", slug="old-co")
    staff = apps.get_model("accounts", "User").objects.create(
        email="staff@example.com", is_staff=True, is_active=True
    )
    customer = apps.get_model("leads", "Customer").objects.create(
        tenant=tenant, external_ref="customer-1", name="First customer"
    )
    product = apps.get_model("leads", "Product").objects.create(
        tenant=tenant, external_ref="product-1", name="First product"
    )
    RateCard = apps.get_model("billing", "RateCard")
    default = RateCard.objects.create(
        tenant=tenant,
        version=1,
        valid_from=datetime(2000, 1, 1, tzinfo=UTC),
        currency="USD",
        value_high=1000,
        value_medium=500,
        value_low=200,
        cap=1300,
    )
    own = RateCard.objects.create(
        tenant=tenant,
        customer=customer,
        lead_type="Demo",
        version=1,
        valid_from=datetime(2024, 5, 1, tzinfo=UTC),
        currency="USD",
        value_high=4000,
        value_medium=2000,
        value_low=100,
        cap=9000,
        note="May prices",
        created_by=staff,
    )
    apps.get_model("billing", "BillingPeriod").objects.create(
        tenant=tenant, month=APRIL, status="closed", closed_at=_at(30, 23), closed_by=staff
    )
    product_totals = {"product_id": product.pk, "product_ref": "product-1"}
    product_totals.update(product_name="First product", unpriced_count=0, **TOTALS)
    report = apps.get_model("billing", "BillingReport").objects.create(
        tenant=tenant,
        customer=customer,
        period=APRIL,
        currency="USD",
        unpriced_count=0,
        products=[product_totals],
        default_card_lead_types=["Website Visit"],
        computed_at=_at(30, 23),
        frozen=True,
        frozen_at=_at(30, 23),
        **TOTALS,
    )
    BillingLine = apps.get_model("billing", "BillingLine")
    for hour, (ref, level, value, billed, saved, reason, dup, before) in enumerate(LINES, 9):
        BillingLine.objects.create(
            tenant=tenant,
            report=report,
            action_ref=ref,
            product=product,
            person_key="e:ann@example.com",
            lead_type="Website Visit",
            action_type="Page View",
            engagement=level,
            occurred_at=_at(2, hour),
            action_period=APRIL,
            value=value,
            billed=billed,
            savings=saved,
            reason=reason,
            duplicate_of_ref=dup,
            billed_before=before,
            card=default,
            card_version=1,
            default_card=True,
        )
    card_type, _created = ContentType.objects.get_or_create(app_label="billing", model="ratecard")
    permission, _created = apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=card_type, codename="change_ratecard", defaults={"name": "Can change"}
    )
    group = apps.get_model("auth", "Group").objects.create(name="pricing")
    group.permissions.add(permission)
    staff.groups.add(group)
    entry = apps.get_model("admin", "LogEntry").objects.create(
        user=staff,
        content_type=card_type,
        object_id=str(own.pk),
        object_repr="customer-1 v1",
        action_flag=CHANGE,
        change_message="[]",
    )
    return {
        "tenant": tenant.pk,
        "staff": staff.pk,
        "cards": (default.pk, own.pk),
        "report": report.pk,
        "card_type": card_type.pk,
        "entry": entry.pk,
    }


@pytest.fixture
def old_layout(transactional_db):
    """The database as it was before the move; migrated back to the latest state afterwards
    even when the test fails, so the tests after it find the schema they expect."""
    ContentType.objects.clear_cache()
    try:
        yield _fill_old_layout(_migrate(OLD_LAYOUT))
    finally:
        _migrate(_latest())
        ContentType.objects.clear_cache()


def test_a_database_filled_at_the_old_layout_migrates_forward_losing_nothing(old_layout):
    # when
    _migrate(_latest())
    ContentType.objects.clear_cache()

    # then
    _same_rows(old_layout)
    _same_bill(old_layout)
    _same_admin_history_and_permissions(old_layout)

    # and when the move is undone, billing gets its content types back
    apps = _migrate(OLD_LAYOUT)
    old_content_type = apps.get_model("contenttypes", "ContentType")
    assert old_content_type.objects.get(pk=old_layout["card_type"]).app_label == "billing"
    assert apps.get_model("billing", "BillingReport").objects.get().billed == 1300


def _same_rows(old_layout) -> None:
    """The same tables hold the same rows, read through payperlead's models."""
    assert set(connection.introspection.table_names()) >= TABLES
    tenant = Tenant.objects.get(pk=old_layout["tenant"])
    with tenant_scope(tenant):
        default, own = RateCard.objects.for_tenant(tenant).order_by("pk")
        own_customer = own.customer
        period = BillingPeriod.objects.for_tenant(tenant).get()
        record = BillingReport.objects.for_tenant(tenant).get()
        lines = list(BillingLine.objects.for_tenant(tenant).order_by("action_ref"))
    assert (default.pk, own.pk) == old_layout["cards"]
    assert default.as_card().values == {"High": 1000, "Medium": 500, "Low": 200}
    assert (own_customer.external_ref, own.lead_type, own.cap, own.note) == (
        "customer-1",
        "Demo",
        9000,
        "May prices",
    )
    assert own.created_by_id == old_layout["staff"]
    assert (period.month, period.is_closed, period.closed_by_id) == (
        APRIL,
        True,
        old_layout["staff"],
    )
    assert record.pk == old_layout["report"]
    assert {field: getattr(record, field) for field in TOTALS} == TOTALS
    assert record.frozen and record.savings == 1200
    assert [
        (ln.action_ref, ln.engagement, ln.value, ln.billed, ln.savings, ln.reason, *extra)
        for ln in lines
        for extra in [(ln.duplicate_of_ref, ln.billed_before)]
    ] == LINES
    assert {ln.report_id for ln in lines} == {record.pk}
    assert {ln.card_id for ln in lines} == {default.pk}


def _same_bill(old_layout) -> None:
    """The closed month's frozen report is read back, never recomputed, totals unchanged;
    the API answers it."""
    tenant = Tenant.objects.get(pk=old_layout["tenant"])
    with tenant_scope(tenant):
        customer = selectors.customer_get(tenant, "customer-1")
        report = services.report_compute(tenant=tenant, customer=customer, period=APRIL)
        assert selectors.period_is_closed(tenant, APRIL)
    data = presenters.report_json(report, {})
    assert data["status"] == "closed"
    assert data["totals"] == {
        "actions": 3,
        "gross": 2500,
        "billed": 1300,
        "savings": 1200,
        "savings_duplicate": 1000,
        "savings_cap": 200,
        "unpriced": 0,
    }
    assert [p["totals"]["billed"] for p in data["products"]] == [1300]
    assert [(ln["action_id"], ln["billed"], ln["reason"]) for ln in data["lines"]] == [
        (101, 1000, "none"),
        (102, 0, "duplicate"),
        (103, 300, "cap"),
    ]
    assert [ln["duplicate_of"] for ln in data["lines"]] == [None, 101, None]

    api = api_client_for(MembershipFactory(tenant=tenant, role=Role.ANALYST).user)
    response = api.get(
        f"/api/v1/tenants/{tenant.pk}/billing/reports/",
        {"period": "2024-04", "customer": "customer-1"},
    )
    assert response.status_code == 200
    assert response.json()["totals"] == data["totals"]
    assert response.json()["lines"] == data["lines"]


def _same_admin_history_and_permissions(old_layout) -> None:
    """The same content type rows, relabelled: admin log entries and permissions follow."""
    card_type = ContentType.objects.get_for_model(RateCard)
    assert card_type.pk == old_layout["card_type"]
    assert card_type.app_label == "payperlead"
    assert not ContentType.objects.filter(app_label="billing", model__in=MOVED).exists()
    assert set(
        ContentType.objects.filter(app_label="payperlead").values_list("model", flat=True)
    ) >= {"ratecard"}
    entry = LogEntry.objects.get(pk=old_layout["entry"])
    assert entry.get_edited_object().pk == old_layout["cards"][1]
    assert entry.get_admin_url() == f"/admin/payperlead/ratecard/{old_layout['cards'][1]}/change/"
    staff = entry.user
    assert staff.has_perm("payperlead.change_ratecard")
    assert not staff.has_perm("billing.change_ratecard")


def test_the_moved_tables_keep_their_index_and_constraint_names(db):
    with connection.cursor() as cursor:
        names = {
            name
            for table in TABLES
            for name in connection.introspection.get_constraints(cursor, table)
        }
    assert {
        "ratecard_tenant_from",
        "ratecard_unique_version",
        "ratecard_unique_customer_version",
        "billingperiod_unique_month",
        "billingreport_unique_period",
        "billingline_act",
        "billingline_unique",
    } <= names
    if connection.vendor == "postgresql":  # SQLite does not report CHECK constraints' names
        assert {"ratecard_valid_range", "billingreport_totals_add_up"} <= names
        assert "billingline_adds_up" in names
