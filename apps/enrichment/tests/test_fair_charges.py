"""Fair enrichment charges: a lead is paid for only when at least one NEW field was determined
(the maximum is authorized up front, the settle gives back the rest, to the minor unit); the
offline heuristic takes no money at all; a field the lead already had is "kept", never
"not determined"."""

import pytest
from django.urls import reverse

from apps.billing.models import CreditEntry, Plan, Subscription, UsageCharge
from apps.billing.tests.helpers import subscribe
from apps.enrichment.models import LeadEnrichment
from apps.enrichment.tests.fixtures import *  # noqa: F403
from apps.enrichment.tests.fixtures import (
    ANSWER,
    CREDIT,
    UNIT,
    balance,
    charges,
    items,
    lead,
    run_of,
    running_tasks,
    start,
)
from apps.leads.models import Lead
from apps.leads.tests.conftest import make_leads
from apps.payments.models import Payment, Refund
from apps.tenants.scoping import tenant_scope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

PRO_UNIT = 1000  # Pro: 10.00 RUB per lead


@pytest.fixture(autouse=True)
def _enrichment_prices(db):
    Plan.objects.filter(code="trial").update(enrichment_price_amount=UNIT, usage_billing="prepaid")
    Plan.objects.filter(code="pro").update(
        enrichment_price_amount=PRO_UNIT, usage_billing="prepaid"
    )


@pytest.fixture
def three_leads(tenant):
    """A: nothing known (the answer fills it); B: already has every field the model knows
    (nothing new can be found); C: its call fails."""
    ids = make_leads(
        tenant,
        [
            {"email": "anna@romashka.ru", "name": "Анна"},
            {
                "email": "boris@romashka.ru",
                "name": "Борис",
                "company": "Ромашка",
                "website": "https://romashka.ru",
                "industry": "Торговля",
            },
            {"email": "vera@romashka.ru", "name": "Вера"},
        ],
    )
    with tenant_scope(tenant):  # the pain point arrived with the lead too (e.g. an import)
        Lead.objects.filter(pk=ids[1]).update(pain_point="Долго отвечают.")
    return ids


def _queue_answers(fake_ai):
    fake_ai.ok(ANSWER).ok(ANSWER).bad_request()  # tasks run in lead order: A, B, C


def test_credit_pays_only_for_leads_with_something_new(
    paying, fake_ai, three_leads, django_capture_on_commit_callbacks
):
    _queue_answers(fake_ai)
    # when
    with running_tasks(django_capture_on_commit_callbacks):
        run = start(paying, lead_ids=three_leads)
    # then: 3 authorized (the maximum), 1 paid, 2 given back, to the kopeck
    run = run_of(paying, run)
    assert (run.leads_enriched, run.leads_nothing_found, run.leads_failed) == (1, 1, 1)
    [charge] = charges(paying)
    assert (charge.quantity, charge.amount) == (3, 3 * UNIT) == (3, 4500)
    assert (charge.refunded_quantity, charge.refunded_amount) == (2, 3000)
    assert charge.net_amount == 1500
    assert balance(paying) == CREDIT - 1500
    by_lead = {item.lead_id: item for item in items(paying, run)}
    anna, boris, vera = (by_lead[pk] for pk in three_leads)
    assert anna.status == "enriched" and anna.new_fields
    assert boris.status == "nothing_found" and boris.new_fields == []
    assert vera.status == "failed"


def test_a_field_the_lead_already_has_is_kept_not_not_determined(
    paying, fake_ai, three_leads, operator_api, django_capture_on_commit_callbacks
):
    _queue_answers(fake_ai)
    with running_tasks(django_capture_on_commit_callbacks):
        run = start(paying, lead_ids=three_leads[:2])
    boris_item = {i.lead_id: i for i in items(paying, run)}[three_leads[1]]
    assert set(boris_item.kept_fields) >= {"company", "website", "industry", "pain_point"}
    boris = lead(paying, three_leads[1])
    assert boris.company == "Ромашка"  # the lead's own value, untouched
    assert set(boris.not_determined) == {"role", "company_size"}
    # the API says the same
    path = reverse("api-enrichment-run", kwargs={"tenant_id": paying.pk, "run_id": run.pk})
    body = operator_api.get(path).json()
    row = next(r for r in body["items"]["results"] if r["lead_id"] == three_leads[1])
    assert row["status"] == "nothing_found" and row["new_fields"] == []
    assert "company" in row["kept_fields"] and "company" not in row["not_determined"]
    assert sorted(row["not_determined"]) == ["company_size", "role"]
    assert body["progress"]["enriched"] == 1 and body["progress"]["nothing_found"] == 1
    assert body["charge"] == {
        "free": False,
        "reserved": 3000,
        "charged": 1500,
        "given_back": 1500,
        "currency": "RUB",
        "payment_url": "",
    }


def test_run_page_says_enriched_and_nothing_found_and_what_was_kept(
    paying, fake_ai, three_leads, operator_client_web, django_capture_on_commit_callbacks
):
    _queue_answers(fake_ai)
    with running_tasks(django_capture_on_commit_callbacks):
        run = start(paying, lead_ids=three_leads)
    url = reverse("leads:enrichment_run", kwargs={"tenant_slug": paying.slug, "run_id": run.pk})
    html = operator_client_web.get(url).content.decode()
    assert "1 enriched, 1 nothing found (free)" in html
    assert 'data-count="nothing_found">1<' in html
    assert 'data-run="reserved">45.00 RUB<' in html or 'data-run="reserved">45,00 RUB<' in html
    assert "15.00 RUB" in html or "15,00 RUB" in html  # charged
    assert 'data-item-status="nothing_found"' in html
    boris_row = html[html.index('data-item-status="nothing_found"') :]
    boris_row = boris_row[: boris_row.index("</tr>")]
    assert "kept" in boris_row and "Company" in boris_row
    assert "data-not-determined>not determined: Role, Company size</span>" in boris_row


def _saved_card(tenant, method_id: str) -> Subscription:
    subscription = subscribe(tenant, "pro")
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="sandbox", payment_method_id=method_id
    )
    return subscription


def test_a_saved_card_is_refunded_for_leads_with_nothing_found(
    enrichment_on, fake_ai, three_leads, operator_client_web, django_capture_on_commit_callbacks
):
    # given a Pro company paying by card, no credit
    _saved_card(enrichment_on, "sandbox_card_ok_1")
    _queue_answers(fake_ai)
    # when
    with running_tasks(django_capture_on_commit_callbacks):
        run = start(enrichment_on, lead_ids=three_leads)
    # then: the card paid 30.00 RUB up front, 20.00 RUB was refunded
    [charge] = charges(enrichment_on)
    assert charge.mode == "card" and (charge.quantity, charge.amount) == (3, 3000)
    assert (charge.refunded_quantity, charge.refunded_amount, charge.net_amount) == (2, 2000, 1000)
    payment = Payment.objects.for_tenant(enrichment_on).get(pk=charge.payment_id)
    assert payment.amount == 3000
    refunds = Refund.objects.for_tenant(enrichment_on).filter(payment=payment)
    assert [r.amount for r in refunds] == [2000]
    # and the run page links to the provider's payment page only when there is one
    url = reverse(
        "leads:enrichment_run", kwargs={"tenant_slug": enrichment_on.slug, "run_id": run.pk}
    )
    html = operator_client_web.get(url).content.decode()
    assert 'data-run="payment-link"' not in html
    Payment.objects.for_tenant(enrichment_on).filter(pk=payment.pk).update(
        confirmation_url="https://pay.example.test/confirm/abc"
    )
    html = operator_client_web.get(url).content.decode()
    assert '<a href="https://pay.example.test/confirm/abc"' in html
    assert "Saved card" in html


def test_offline_takes_no_money_even_with_a_card_and_no_credit(
    enrichment_on, offline_ai, three_leads, django_capture_on_commit_callbacks
):
    # given a company with a saved card and no credit, and no AI key
    _saved_card(enrichment_on, "sandbox_card_ok_1")
    payments_before = Payment.objects.for_tenant(enrichment_on).count()
    # when
    with running_tasks(django_capture_on_commit_callbacks):
        run = start(enrichment_on, lead_ids=three_leads)
    # then: the heuristic ran, and nothing was authorized, paid or written to the ledger
    run = run_of(enrichment_on, run)
    assert run.status == "done" and run.offline and run.leads_billable == 3
    assert UsageCharge.objects.for_tenant(enrichment_on).count() == 0
    assert Payment.objects.for_tenant(enrichment_on).count() == payments_before
    assert not CreditEntry.objects.for_tenant(enrichment_on).exists()
    assert (run.price_amount, run.usage_charge_id) == (0, None)
    statuses = set(
        LeadEnrichment.objects.for_tenant(enrichment_on)
        .filter(run=run)
        .values_list("status", flat=True)
    )
    assert statuses <= {"enriched", "nothing_found"}


def test_offline_confirmation_says_free(paying, offline_ai, operator_client_web, three_leads):
    url = reverse("leads:enrichment_confirm", kwargs={"tenant_slug": paying.slug})
    html = operator_client_web.get(f"{url}?scope=lead&lead_id={three_leads[0]}").content.decode()
    assert "data-free" in html and "data-offline" in html
    assert "RUB" not in html
