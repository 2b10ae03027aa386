"""Reports against the database: the seed sample, cards and versions, closing a period, late
actions, bad input, and the big-report SQL path agreeing with the pure valuation."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from apps.core.errors import ApplicationError, Conflict, ValidationFailed
from apps.leads.ingestion import ingest_leads
from apps.leads.models import Customer, LeadAction
from apps.payperlead import cards, engine, explain, selectors, services
from apps.payperlead.models import (
    BillingLine,
    BillingPeriod,
    BillingReport,
    PeriodStatus,
    RateCard,
)

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "leads/fixtures/seed_002_sample.json"
APRIL, MAY, JUNE = date(2024, 4, 1), date(2024, 5, 1), date(2024, 6, 1)


def sample() -> list[dict]:
    return json.loads(SAMPLE.read_text())


def ingest(tenant, items):
    outcome = ingest_leads(tenant=tenant, items=items, source="api")
    assert outcome.summary["rejected"] == 0, outcome.results
    return outcome


def lead(ref, actions, *, customer="customer-1", product="product-1", email="", **extra):
    item = {"lead_id": ref, "customer_id": customer, "product_id": product, "actions": actions}
    if email:
        item["email"] = email
    return {**item, **extra}


def act(kind, when, level="High"):
    return {"action_type": kind, "timestamp": when, "engagement_level": level}


def customer(tenant, ref="customer-1") -> Customer:
    return Customer.objects.for_tenant(tenant).get(external_ref=ref)


def report(tenant, ref="customer-1", period=APRIL):
    return services.report_compute(tenant=tenant, customer=customer(tenant, ref), period=period)


def test_the_seed_sample_gives_the_expected_april_report(tenant):
    # given the seed's four leads (no e-mail or phone: each lead id is its own person)
    ingest(tenant, sample())
    # when
    report_123 = report(tenant, "customer-123")
    report_456 = report(tenant, "customer-456")
    # then customer-123: uuid-1 Low 2.00 + High 10.00, uuid-3 High 10.00 (uuid-4 is May)
    record = report_123.record
    assert (record.gross, record.billed, record.savings_duplicate, record.savings_cap) == (
        2200,
        2200,
        0,
        0,
    )
    assert record.currency == "USD" and record.actions_count == 3
    assert [(p["product_ref"], p["billed"]) for p in record.products] == [("product-abc", 2200)]
    assert [(ln.action_type, ln.engagement, ln.billed) for ln in report_123.lines] == [
        ("Page View", "Low", 200),
        ("Form Submission", "High", 1000),
        ("Form Submission", "High", 1000),
    ]
    assert record.default_card_lead_types == ["Website Visit"]
    # customer-456: uuid-2 Low 2.00 + Medium 5.00
    assert (report_456.record.gross, report_456.record.billed) == (700, 700)
    assert [p["product_ref"] for p in report_456.record.products] == ["product-def"]
    # and May holds uuid-4 for customer-123, product-xyz: 10.00
    may = report(tenant, "customer-123", MAY).record
    assert (may.billed, may.products[0]["product_ref"]) == (1000, "product-xyz")


def test_a_tenant_starts_with_the_default_card(tenant):
    ingest(tenant, sample())
    report(tenant, "customer-123")
    card = RateCard.objects.for_tenant(tenant).get()
    assert (card.value_high, card.value_medium, card.value_low, card.cap) == (1000, 500, 200, 10000)
    assert (card.currency, card.version, card.customer_id, card.lead_type) == ("USD", 1, None, "")


def test_duplicates_across_leads_of_one_person_are_saved_with_a_reference(tenant):
    # given ann submits the same form twice (merged into one lead by her e-mail)
    ingest(
        tenant,
        [
            lead("a1", [act("Form Submission", "2024-04-01T10:00:00Z")], email="Ann@Example.com"),
            lead("a2", [act("Form Submission", "2024-04-03T10:00:00Z")], email="ann@example.com"),
        ],
    )
    lines = report(tenant).lines
    assert [(ln.billed, ln.savings, ln.reason) for ln in lines] == [
        (1000, 0, "none"),
        (0, 1000, "duplicate"),
    ]
    assert lines[1].duplicate_of == lines[0].action_id
    assert report(tenant).record.savings_duplicate == 1000


def test_the_same_person_on_two_products_is_billed_twice(tenant):
    actions = [act("Form Submission", "2024-04-01T10:00:00Z")]
    ingest(
        tenant,
        [
            lead("a1", actions, email="ann@example.com", product="product-1"),
            lead("a2", actions, email="ann@example.com", product="product-2"),
        ],
    )
    record = report(tenant).record
    assert record.billed == 2000
    assert [(p["product_ref"], p["billed"]) for p in record.products] == [
        ("product-1", 1000),
        ("product-2", 1000),
    ]


def test_the_cap_is_per_person_customer_product_and_month(tenant):
    # given 11 distinct High actions of one person in April and one more in May
    april = [act(f"Step {i}", f"2024-04-{i + 1:02d}T10:00:00Z") for i in range(11)]
    ingest(
        tenant,
        [
            lead("a1", [*april, act("Step 99", "2024-05-01T00:00:00Z")], email="ann@example.com"),
        ],
    )
    record = report(tenant).record
    assert (record.gross, record.billed, record.savings_cap) == (11000, 10000, 1000)
    assert report(tenant, period=MAY).record.billed == 1000  # a new month, a new cap


def test_a_lead_type_card_and_a_customer_card_apply(tenant, admin_user):
    ingest(
        tenant,
        [
            lead("s1", [act("Like", "2024-04-02T10:00:00Z")], lead_type="Social Media"),
            lead("w1", [act("Like", "2024-04-02T10:00:00Z")], lead_type="Website Visit"),
            lead("v1", [act("Like", "2024-04-02T10:00:00Z")], customer="vip", lead_type="Webinar"),
        ],
    )
    publish = dict(tenant=tenant, actor=admin_user, valid_from=datetime(2024, 1, 1, tzinfo=UTC))
    cards.rate_card_publish(
        **publish,
        currency="USD",
        value_high=700,
        value_medium=350,
        value_low=100,
        cap=5000,
        lead_type="Social Media",
    )
    cards.rate_card_publish(
        **publish,
        currency="USD",
        value_high=1500,
        value_medium=800,
        value_low=300,
        cap=20000,
        customer=customer(tenant, "vip"),
    )
    lines = {ln.lead_type: ln for ln in report(tenant).lines}
    assert (lines["Social Media"].billed, lines["Website Visit"].billed) == (700, 1000)
    assert lines["Social Media"].card.scope == "lead_type"
    assert report(tenant).record.default_card_lead_types == ["Website Visit"]
    vip = report(tenant, "vip")
    assert (vip.lines[0].billed, vip.lines[0].card.scope) == (1500, "customer")


def test_a_new_card_version_applies_from_its_start_only(tenant, admin_user):
    ingest(
        tenant,
        [
            lead(
                "a1",
                [
                    act("A", "2024-04-14T23:59:59Z"),
                    act("B", "2024-04-15T00:00:00Z"),
                ],
            )
        ],
    )
    cards.rate_card_ensure_default(tenant)
    card = cards.rate_card_publish(
        tenant=tenant,
        actor=admin_user,
        valid_from=datetime(2024, 4, 15, tzinfo=UTC),
        currency="USD",
        value_high=1500,
        value_medium=700,
        value_low=300,
        cap=10000,
    )
    assert card.version == 2
    previous = RateCard.objects.for_tenant(tenant).get(version=1)
    assert previous.valid_to == datetime(2024, 4, 15, tzinfo=UTC)
    lines = report(tenant).lines
    assert [(ln.billed, ln.card.version) for ln in lines] == [(1000, 1), (1500, 2)]


def test_a_card_cannot_start_inside_a_closed_period_nor_go_back(tenant, admin_user):
    ingest(tenant, sample())
    services.period_close(tenant=tenant, actor=admin_user, period=APRIL)
    kwargs = dict(
        tenant=tenant,
        actor=admin_user,
        currency="USD",
        value_high=1,
        value_medium=1,
        value_low=1,
        cap=1,
    )
    with pytest.raises(Conflict) as closed:
        cards.rate_card_publish(**kwargs, valid_from=datetime(2024, 4, 20, tzinfo=UTC))
    assert closed.value.code == "period_closed"
    cards.rate_card_publish(**kwargs, valid_from=datetime(2024, 6, 1, tzinfo=UTC))
    with pytest.raises(ValidationFailed):
        cards.rate_card_publish(**kwargs, valid_from=datetime(2024, 5, 2, tzinfo=UTC))


def test_closing_freezes_the_report_and_a_card_change_does_not_rewrite_it(tenant, admin_user):
    ingest(tenant, sample())
    # when April is closed
    period = services.period_close(tenant=tenant, actor=admin_user, period=APRIL)
    assert period.status == PeriodStatus.CLOSED and period.closed_by == admin_user
    # then its reports are frozen with their lines stored
    frozen = BillingReport.objects.for_tenant(tenant).get(customer=customer(tenant, "customer-123"))
    assert frozen.frozen and frozen.billed == 2200
    assert BillingLine.objects.for_tenant(tenant).filter(report=frozen).count() == 3
    # and a new card from May changes nothing in April
    cards.rate_card_publish(
        tenant=tenant,
        actor=admin_user,
        valid_from=datetime(2024, 5, 1, tzinfo=UTC),
        currency="USD",
        value_high=5000,
        value_medium=5000,
        value_low=5000,
        cap=90000,
    )
    again = report(tenant, "customer-123")
    assert again.frozen and again.record.billed == 2200
    assert [ln.billed for ln in again.lines] == [200, 1000, 1000]
    assert report(tenant, "customer-123", MAY).record.billed == 5000


def test_closing_twice_changes_nothing_and_an_unfinished_month_cannot_close(tenant, admin_user):
    ingest(tenant, sample())
    first = services.period_close(tenant=tenant, actor=admin_user, period=APRIL)
    second = services.period_close(tenant=tenant, actor=admin_user, period=APRIL)
    assert first.closed_at == second.closed_at
    assert BillingLine.objects.for_tenant(tenant).count() == 5
    with pytest.raises(Conflict) as error:
        services.period_close(tenant=tenant, actor=admin_user, period=date(2099, 1, 1))
    assert error.value.code == "period_not_over"


def test_a_late_action_of_a_closed_month_is_billed_next_month_as_an_adjustment(tenant, admin_user):
    # given April closed with ann's form (10.00) and 85.00 of other actions
    ingest(
        tenant,
        [
            lead(
                "a1",
                [
                    act("Form Submission", "2024-04-02T10:00:00Z"),
                    *[act(f"Other {i}", f"2024-04-03T1{i}:00:00Z") for i in range(8)],
                    act("Share", "2024-04-04T10:00:00Z", "Medium"),
                ],
                email="ann@example.com",
            )
        ],
    )
    services.period_close(tenant=tenant, actor=admin_user, period=APRIL)
    assert report(tenant).record.billed == 9500
    # when two April actions arrive late: a repeat of the form and a new High action
    ingest(
        tenant,
        [
            lead(
                "a1",
                [
                    act("Form Submission", "2024-04-01T09:00:00Z"),
                    act("Call", "2024-04-01T09:30:00Z"),
                ],
                email="ann@example.com",
            )
        ],
    )
    # then April is unchanged and May bills them as adjustments after April's state
    assert report(tenant).record.billed == 9500
    may = report(tenant, period=MAY)
    adjustments = [ln for ln in may.lines if ln.adjustment]
    assert [(ln.action_type, ln.reason, ln.billed) for ln in adjustments] == [
        ("Form Submission", "duplicate", 0),
        ("Call", "cap", 500),
    ]
    first_form = LeadAction.objects.for_tenant(tenant).get(
        action_type="Form Submission", occurred_at=datetime(2024, 4, 2, 10, tzinfo=UTC)
    )
    assert adjustments[0].duplicate_of == first_form.pk
    assert may.record.billed == 500 and may.record.adjustments["billed"] == 500
    # and once May is closed too, nothing is billed twice
    services.period_close(tenant=tenant, actor=admin_user, period=MAY)
    assert report(tenant, period=JUNE).record.billed == 0
    assert BillingLine.objects.for_tenant(tenant).filter(adjustment=True).count() == 2


def test_late_actions_skip_closed_months_to_the_first_open_one():
    closed = {date(2024, 4, 1), date(2024, 5, 1), date(2024, 7, 1)}
    assert selectors.adjustment_target(date(2024, 4, 1), closed) == date(2024, 6, 1)
    assert selectors.feeding_periods(date(2024, 6, 1), closed) == [date(2024, 4, 1), MAY]
    assert selectors.feeding_periods(date(2024, 8, 1), closed) == [date(2024, 7, 1)]
    assert selectors.feeding_periods(date(2024, 4, 1), closed) == []


def test_cards_in_two_currencies_for_one_report_are_a_clear_error(tenant, admin_user):
    ingest(
        tenant,
        [
            lead("s1", [act("Like", "2024-04-02T10:00:00Z")], lead_type="Social Media"),
            lead("w1", [act("Like", "2024-04-02T10:00:00Z")], lead_type="Website Visit"),
        ],
    )
    cards.rate_card_publish(
        tenant=tenant,
        actor=admin_user,
        valid_from=datetime(2024, 1, 1, tzinfo=UTC),
        currency="EUR",
        value_high=900,
        value_medium=450,
        value_low=180,
        cap=9000,
        lead_type="Social Media",
    )
    with pytest.raises(ApplicationError) as error:
        report(tenant)
    assert error.value.code == "currency_mismatch" and error.value.status_code == 422
    assert "EUR, USD" in error.value.message and "customer-1" in error.value.message


def test_an_unknown_engagement_level_in_the_database_is_listed_not_billed(tenant):
    ingest(tenant, [lead("a1", [act("Like", "2024-04-02T10:00:00Z")])])
    LeadAction.objects.for_tenant(tenant).update(engagement_level="Extreme")
    record = report(tenant).record
    assert (record.gross, record.billed, record.unpriced_count) == (0, 0, 1)
    assert report(tenant).lines[0].reason == "unpriced"


def test_a_month_without_actions_is_an_empty_report(tenant):
    ingest(tenant, sample())
    empty = report(tenant, "customer-456", MAY)
    assert (empty.record.billed, empty.record.actions_count, empty.lines) == (0, 0, [])
    assert empty.record.currency == "USD" and empty.record.pk is None
    assert services.report_compute_all(tenant=tenant, period=date(2023, 1, 1)) == []


def test_leads_without_a_customer_are_not_billed(tenant):
    ingest(tenant, [{"lead_id": "x", "actions": [act("Like", "2024-04-02T10:00:00Z")]}])
    assert services.report_compute_all(tenant=tenant, period=APRIL) == []


def test_reports_of_open_months_are_saved_and_pruned(tenant):
    ingest(tenant, sample())
    services.report_compute_all(tenant=tenant, period=APRIL)
    saved = BillingReport.objects.for_tenant(tenant).filter(period=APRIL, frozen=False)
    assert sorted(saved.values_list("customer__external_ref", "billed")) == [
        ("customer-123", 2200),
        ("customer-456", 700),
    ]
    LeadAction.objects.for_tenant(tenant).filter(
        lead__customer__external_ref="customer-456"
    ).delete()
    services.report_compute_all(tenant=tenant, period=APRIL)
    assert list(saved.values_list("customer__external_ref", flat=True)) == ["customer-123"]


def test_another_tenants_actions_never_reach_a_report(tenant, other_tenant):
    ingest(tenant, sample())
    ingest(other_tenant, sample())
    ingest(
        other_tenant, [lead("z", [act("Call", "2024-04-09T10:00:00Z")], customer="customer-123")]
    )
    assert report(tenant, "customer-123").record.billed == 2200
    assert report(other_tenant, "customer-123").record.billed == 3200


def test_why_explains_a_duplicate_and_the_cap(tenant, admin_user):
    ingest(
        tenant,
        [
            lead(
                "a1",
                [
                    act("Form Submission", "2024-04-01T10:00:00Z"),
                    act("Form Submission", "2024-04-02T10:00:00Z"),
                ],
                email="ann@example.com",
            )
        ],
    )
    first, second = LeadAction.objects.for_tenant(tenant).order_by("occurred_at")
    why = explain.action_explain(tenant=tenant, action=second)
    assert (why.line.reason, why.line.duplicate_of, why.original.action_id) == (
        "duplicate",
        first.pk,
        first.pk,
    )
    assert why.card.version == 1 and not why.report.frozen
    services.period_close(tenant=tenant, actor=admin_user, period=APRIL)
    frozen = explain.action_explain(tenant=tenant, action=second)
    assert frozen.report.frozen and frozen.original.action_id == first.pk


def _reference_rows(tenant, period):
    """The same rows through the ORM, in plain time order (the reference order)."""
    rows = list(selectors._rows_orm(tenant, period, None, False))
    return sorted(rows, key=engine.sort_key)


@pytest.mark.postgres
def test_the_sql_stream_yields_what_the_orm_yields_and_values_the_same(tenant):
    # given data with duplicates, caps, several customers, products and lead types
    items = []
    for i in range(60):
        items.append(
            lead(
                f"l{i}",
                [
                    act(
                        f"A{(i + k) % 9}",
                        f"2024-04-{k % 28 + 1:02d}T{i % 24:02d}:00:00Z",
                        ("High", "Medium", "Low")[k % 3],
                    )
                    for k in range(14)
                ],
                email=f"p{i % 9}@example.com",
                customer=f"c{i % 3}",
                product=f"p{i % 2}",
                lead_type=("Social Media", "Website Visit")[i % 2],
            )
        )
    ingest(tenant, items)
    cards.rate_card_ensure_default(tenant)
    RateCard.objects.for_tenant(tenant).update(cap=3000)  # 30.00: people reach it
    book = selectors.card_book(tenant)
    # when
    streamed = list(selectors._rows_pg(tenant, APRIL, None, False))
    reference = _reference_rows(tenant, APRIL)
    # then the same tuples, and the same valuation in either order
    assert sorted(streamed, key=engine.sort_key) == reference
    fast = engine.valuate(streamed, book)
    slow = engine.valuate(reference, book)
    assert fast.totals == slow.totals
    assert {ln.action_id: ln for ln in fast.lines} == {ln.action_id: ln for ln in slow.lines}
    assert engine.sum_totals(fast.totals.values())[engine.SAVED_CAP] > 0
    assert engine.sum_totals(fast.totals.values())[engine.SAVED_DUPLICATE] > 0


def test_a_closed_period_row_is_unique_per_month(tenant, admin_user):
    ingest(tenant, sample())
    services.period_close(tenant=tenant, actor=admin_user, period=APRIL)
    assert BillingPeriod.objects.for_tenant(tenant).filter(month=APRIL).count() == 1
    assert selectors.closed_months(tenant) == {APRIL}
