"""The enrichment dashboard: the "Enrich with AI" entry points (lead, table, lists) with their
upsell state, the confirmation (count, skipped, price), starting a run (and a declined card
that starts nothing), the live run page, recent runs, the lead page's "not determined" and
timeline, the billing page's "Paid actions"; roles and isolation."""

import re
import uuid

import pytest
from django.urls import reverse

from apps.billing.models import Plan, Subscription
from apps.billing.tests.helpers import subscribe
from apps.enrichment import services
from apps.enrichment.models import EnrichmentRun, EnrichmentRunStatus, LeadEnrichment
from apps.enrichment.tests.fixtures import *  # noqa: F403
from apps.enrichment.tests.fixtures import (
    UNIT,
    balance,
    charges,
    lead,
    running_tasks,
    start,
)
from apps.leads.models import Lead, LeadList
from apps.leads.tests.conftest import lock_tool, make_leads
from apps.tenants.scoping import tenant_scope

# The assertions read the English source strings.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _enrichment_prices(db):
    """The seed prices per lead (billing migration 0006), also after a flush re-seeded the
    plans without them: the trial 15.00 RUB, Pro 10.00 RUB, paid before the work."""
    Plan.objects.filter(code="trial").update(enrichment_price_amount=UNIT, usage_billing="prepaid")
    Plan.objects.filter(code="pro").update(enrichment_price_amount=1000, usage_billing="prepaid")


def page(name: str, tenant, **kwargs) -> str:
    return reverse(f"leads:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def confirm_url(tenant, query: str) -> str:
    return f"{page('enrichment_confirm', tenant)}?{query}"


def saved_card(tenant, method_id: str, plan: str = "pro") -> Subscription:
    """Put the tenant on `plan` with a sandbox saved card (an id with "decline" declines)."""
    subscription = subscribe(tenant, plan)
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider="sandbox", payment_method_id=method_id
    )
    return subscription


@pytest.fixture
def webinar(tenant, two_leads):
    with tenant_scope(tenant):
        item = LeadList.objects.create(tenant=tenant, name="Вебинар")

        Lead.objects.filter(pk__in=two_leads).update(list=item)
    return item


# --- entry points and their upsell state -------------------------------------------------


def test_lead_page_offers_enrichment_to_operators(paying, operator_client_web, two_leads):
    html = operator_client_web.get(page("detail", paying, lead_id=two_leads[0])).content.decode()
    assert "data-enrich-button" in html
    assert f"scope=lead&amp;lead_id={two_leads[0]}" in html


def test_analysts_see_no_enrich_button(paying, analyst_client_web, two_leads):
    html = analyst_client_web.get(page("detail", paying, lead_id=two_leads[0])).content.decode()
    assert "data-enrich-button" not in html and 'data-tool-locked="enrichment"' not in html


def test_locked_tool_shows_the_upsell_state_and_the_server_refuses(
    tenant, operator_client_web, two_leads
):
    # given a company on Start (no AI enrichment in the plan)
    subscribe(tenant, "start")
    detail = operator_client_web.get(page("detail", tenant, lead_id=two_leads[0])).content.decode()
    assert 'data-tool-locked="enrichment"' in detail and "data-enrich-button" not in detail
    assert "/enrichment/new/" not in detail  # the locked button leads to the plans, not a 403
    assert "Pro" in detail  # the plan that unlocks it
    # when they follow the locked button or post a start anyway
    locked = operator_client_web.get(confirm_url(tenant, f"scope=lead&lead_id={two_leads[0]}"))
    started = operator_client_web.post(
        page("enrichment_start", tenant), {"scope": "lead", "lead_id": two_leads[0]}
    )
    # then the server answers with the feature-locked page and nothing is created
    assert locked.status_code == 403 and "upsell-card" in locked.content.decode()
    assert started.status_code == 403
    assert not EnrichmentRun.objects.for_tenant(tenant).exists()


def test_table_and_lists_carry_the_enrich_actions(paying, operator_client_web, webinar):
    table = operator_client_web.get(page("index", paying)).content.decode()
    assert "data-enrich-selected" in table and "data-enrich-filter" in table
    assert 'id="enrichment-confirm"' in table
    lists = operator_client_web.get(page("lists", paying)).content.decode()
    assert f"scope=list&amp;list_id={webinar.pk}" in lists


# --- the confirmation ----------------------------------------------------------------------


def test_confirmation_shows_count_skipped_and_price(
    paying, fake_ai, operator_client_web, two_leads, django_capture_on_commit_callbacks
):
    # given one of the two leads was enriched already and has not changed since
    with running_tasks(django_capture_on_commit_callbacks):
        start(paying, lead_ids=[two_leads[0]])
    # when the operator asks to enrich both (the table's selection)
    response = operator_client_web.post(
        page("enrichment_confirm", paying), {"scope": "ids", "ids": two_leads}, **HX
    )
    html = response.content.decode()
    # then: 2 selected, 1 to enrich, 1 skipped as unchanged, priced by the plan
    assert response.status_code == 200 and html.strip().startswith("<section")
    assert re.search(r'data-preview="selected">2<', html)
    assert re.search(r'data-preview="billable">1<', html)
    assert re.search(r'data-preview="skipped">1<', html)
    assert "Unchanged since the last enrichment." in html
    assert "15.00 RUB" in html or "15,00 RUB" in html  # 1 × the trial's 15.00 RUB
    assert "data-offline" not in html
    assert f'name="ids" value="{two_leads[1]}"' in html  # the start form re-posts the scope


def test_confirmation_for_a_list_and_the_filter(paying, operator_client_web, webinar, two_leads):
    html = operator_client_web.get(
        confirm_url(paying, f"scope=list&list_id={webinar.pk}")
    ).content.decode()
    assert "Вебинар" in html and re.search(r'data-preview="selected">2<', html)
    filtered = operator_client_web.get(confirm_url(paying, "scope=filter&q=romashka"))
    assert re.search(r'data-preview="selected">1<', filtered.content.decode())


def test_empty_selection_is_a_clear_error_in_place(paying, operator_client_web):
    response = operator_client_web.post(page("enrichment_confirm", paying), {"scope": "ids"}, **HX)
    assert response.status_code == 422
    assert "Select at least one lead." in response.content.decode()


def test_another_companys_list_or_lead_is_not_found(
    paying, other_tenant, operator_client_web, two_leads
):
    other_lead = make_leads(other_tenant, [{"email": "x@other.example"}])[0]
    with tenant_scope(other_tenant):
        other_list = LeadList.objects.create(tenant=other_tenant, name="Чужой")
    assert (
        operator_client_web.get(confirm_url(paying, f"scope=list&list_id={other_list.pk}"))
    ).status_code == 404
    assert (
        operator_client_web.get(confirm_url(paying, f"scope=lead&lead_id={other_lead}"))
    ).status_code == 404
    response = operator_client_web.post(
        page("enrichment_start", paying), {"scope": "lead", "lead_id": other_lead}
    )
    assert response.status_code == 404


def test_analysts_cannot_start_a_run(paying, analyst_client_web, two_leads):
    response = analyst_client_web.post(
        page("enrichment_start", paying), {"scope": "lead", "lead_id": two_leads[0]}
    )
    assert response.status_code == 403
    assert not EnrichmentRun.objects.for_tenant(paying).exists()


# --- starting a run ------------------------------------------------------------------------


def test_start_charges_enriches_and_lands_on_the_run_page(
    paying, fake_ai, operator_client_web, two_leads, django_capture_on_commit_callbacks
):
    before = balance(paying)
    # when the operator confirms both leads
    with running_tasks(django_capture_on_commit_callbacks):
        response = operator_client_web.post(
            page("enrichment_start", paying),
            {"scope": "ids", "ids": two_leads, "request_key": "k1"},
        )
    # then a run is created, paid (2 × 15.00 RUB from the credit) and done, and the
    # browser goes to its page
    run = EnrichmentRun.objects.for_tenant(paying).get()
    assert response.status_code == 302
    assert response["Location"] == page("enrichment_run", paying, run_id=run.pk)
    assert run.status == EnrichmentRunStatus.DONE and not run.offline
    assert before - balance(paying) == 2 * UNIT  # both had new fields found
    assert lead(paying, two_leads[0]).website  # corporate e-mail: company and website
    assert [c.quantity for c in charges(paying)] == [2]


def test_a_double_submit_starts_one_run(
    paying, offline_ai, operator_client_web, two_leads, django_capture_on_commit_callbacks
):
    data = {"scope": "lead", "lead_id": two_leads[0], "request_key": "same"}
    with running_tasks(django_capture_on_commit_callbacks):
        first = operator_client_web.post(page("enrichment_start", paying), data)
        second = operator_client_web.post(page("enrichment_start", paying), data)
    assert first["Location"] == second["Location"]
    assert EnrichmentRun.objects.for_tenant(paying).count() == 1


def test_a_declined_card_shows_the_reason_and_enriches_nothing(
    tenant, fake_ai, operator_client_web, two_leads, django_capture_on_commit_callbacks
):
    # given a Pro company whose saved test card declines, and no credit
    saved_card(tenant, "sandbox_card_decline_1")
    # when they confirm
    with running_tasks(django_capture_on_commit_callbacks):
        response = operator_client_web.post(
            page("enrichment_start", tenant), {"scope": "ids", "ids": two_leads}
        )
    # then the confirmation comes back with the card's reason and nothing is enriched
    html = response.content.decode()
    assert response.status_code == 402
    assert "data-enrich-error" in html and "declined" in html.lower()
    assert not LeadEnrichment.objects.for_tenant(tenant).filter(status="enriched").exists()
    assert not lead(tenant, two_leads[0]).company
    assert EnrichmentRun.objects.for_tenant(tenant).get().status == EnrichmentRunStatus.DECLINED


def test_a_working_saved_card_pays_the_run(
    tenant, fake_ai, operator_client_web, two_leads, django_capture_on_commit_callbacks
):
    saved_card(tenant, "sandbox_card_ok_1")
    with running_tasks(django_capture_on_commit_callbacks):
        response = operator_client_web.post(
            page("enrichment_start", tenant), {"scope": "lead", "lead_id": two_leads[0]}
        )
    run = EnrichmentRun.objects.for_tenant(tenant).get()
    assert response.status_code == 302
    assert run.billing_reference and run.price_amount == 1000  # Pro: 10.00 RUB per lead


# --- the run page --------------------------------------------------------------------------


def _paid_run(tenant, lead_ids, callbacks, *, run_tasks=True) -> EnrichmentRun:
    if run_tasks:
        with running_tasks(callbacks):
            return start(tenant, lead_ids=lead_ids)
    with callbacks(execute=False):
        return start(tenant, lead_ids=lead_ids)


def test_run_page_polls_while_running_and_stops_when_done(
    paying, fake_ai, analyst_client_web, two_leads, django_capture_on_commit_callbacks
):
    # given a run whose tasks have not run yet
    run = _paid_run(paying, two_leads, django_capture_on_commit_callbacks, run_tasks=False)
    url = page("enrichment_run", paying, run_id=run.pk)
    waiting = analyst_client_web.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in waiting
    assert re.search(r'data-count="pending">2<', waiting)
    # when the work is done
    with django_capture_on_commit_callbacks(execute=False) as settle:
        for item in LeadEnrichment.objects.for_tenant(paying).filter(run=run):
            services.enrichment_item_process(paying, item.pk)
    # then, until the charge is settled (a task of its own), the page still polls: it would
    # otherwise keep showing the whole reservation as the charge
    unsettled = analyst_client_web.get(url, **HX).content.decode()
    assert 'hx-trigger="every 2s"' in unsettled
    assert 'data-run="charge">' in unsettled and "settled when the run ends" in unsettled
    for callback in settle:
        callback()
    # and once it is, the polled partial shows the totals and no longer polls
    done = analyst_client_web.get(url, **HX)
    html = done.content.decode()
    assert html.strip().startswith('<div id="enrichment-run"')
    assert 'hx-trigger="every 2s"' not in html
    assert re.search(r'data-count="enriched">2<', html)
    assert re.search(r'data-count="pending">0<', html)
    assert html.count('data-item-status="enriched"') == 2
    assert "2 enriched, 0 nothing found (free)" in html


def test_run_page_shows_the_charge_and_its_reference(
    paying, fake_ai, operator_client_web, two_leads, django_capture_on_commit_callbacks
):
    run = _paid_run(paying, two_leads, django_capture_on_commit_callbacks)
    html = operator_client_web.get(page("enrichment_run", paying, run_id=run.pk)).content.decode()
    run.refresh_from_db()
    assert "30.00 RUB" in html or "30,00 RUB" in html
    assert 'data-run="paid-from">Credit balance<' in html
    # the raw provider reference is for staff; no "payment link" that is not a link
    assert run.billing_reference.startswith("credit:") and run.billing_reference not in html
    assert 'data-run="payment-link"' not in html


def test_run_rows_are_paged_and_filtered_by_status(
    paying, offline_ai, analyst_client_web, django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):  # fmt: skip
    ids = make_leads(paying, [{"email": f"p{i}@firm{i}.ru"} for i in range(60)])
    run = _paid_run(paying, ids, django_capture_on_commit_callbacks, run_tasks=False)
    url = page("enrichment_run", paying, run_id=run.pk)
    first = analyst_client_web.get(url).content.decode()
    assert first.count('data-item-status="pending"') == 50 and "page=2" in first
    second = analyst_client_web.get(f"{url}?page=2").content.decode()
    assert second.count('data-item-status="pending"') == 10
    none_failed = analyst_client_web.get(f"{url}?status=failed").content.decode()
    assert "data-item-status" not in none_failed and "No leads with this status." in none_failed
    with django_assert_max_num_queries(14):
        analyst_client_web.get(url, **HX)


def test_another_companys_run_is_not_found(
    paying, other_tenant, outsider, client, two_leads, django_capture_on_commit_callbacks
):
    run = _paid_run(paying, two_leads[:1], django_capture_on_commit_callbacks)
    client.force_login(outsider)
    other_url = reverse(
        "leads:enrichment_run", kwargs={"tenant_slug": other_tenant.slug, "run_id": run.pk}
    )
    assert client.get(other_url).status_code == 404  # through the outsider's own company
    assert client.get(page("enrichment_run", paying, run_id=run.pk)).status_code == 404


def test_an_unknown_run_is_not_found(paying, analyst_client_web):
    missing = page("enrichment_run", paying, run_id=uuid.uuid4())
    assert analyst_client_web.get(missing).status_code == 404


def test_recent_runs_and_their_empty_state(
    paying, offline_ai, analyst_client_web, two_leads, django_capture_on_commit_callbacks
):
    empty = analyst_client_web.get(page("enrichment_runs", paying)).content.decode()
    assert "No enrichment runs yet." in empty
    run = _paid_run(paying, two_leads, django_capture_on_commit_callbacks)
    html = analyst_client_web.get(page("enrichment_runs", paying)).content.decode()
    assert f'data-run-id="{run.pk}"' in html


# --- the lead page after enrichment --------------------------------------------------------


def test_lead_page_shows_enriched_fields_not_determined_and_the_timeline(
    paying, offline_ai, operator_client_web, two_leads, django_capture_on_commit_callbacks
):
    _paid_run(paying, two_leads[:1], django_capture_on_commit_callbacks)
    html = operator_client_web.get(page("detail", paying, lead_id=two_leads[0])).content.decode()
    assert "romashka.ru" in html  # company/website from the corporate domain
    assert 'data-not-determined="industry"' in html  # looked at, not provable
    assert 'data-not-determined="company"' not in html
    assert "timeline-enriched" in html and "offline heuristic" in html
    assert "Website → " in html or "website → " in html.lower()


def test_lead_page_card_lists_the_leads_runs_through_the_leads_panel(
    paying, offline_ai, operator_client_web, two_leads, django_capture_on_commit_callbacks
):
    # given: a run over the first lead only (enrichment adds its card to leads' panel registry)
    run = _paid_run(paying, two_leads[:1], django_capture_on_commit_callbacks)
    # when
    enriched = operator_client_web.get(page("detail", paying, lead_id=two_leads[0]))
    untouched = operator_client_web.get(page("detail", paying, lead_id=two_leads[1]))
    # then: the card links the run on the enriched lead, and says "not yet" on the other
    html = enriched.content.decode()
    assert 'class="enrich-history"' in html
    assert page("enrichment_run", paying, run_id=run.pk) in html
    assert "Not enriched yet." in untouched.content.decode()
    assert "leads/enrichment/_lead_card.html" in enriched.context["lead_panels"]


# --- the billing page ----------------------------------------------------------------------


def test_billing_page_lists_paid_actions_with_a_link_to_the_run(
    paying, fake_ai, admin_client_web, two_leads, django_capture_on_commit_callbacks
):
    run = _paid_run(paying, two_leads, django_capture_on_commit_callbacks)
    url = reverse("billing:overview", kwargs={"tenant_slug": paying.slug})
    html = admin_client_web.get(url).content.decode()
    assert 'id="usage-charges"' in html
    assert page("enrichment_run", paying, run_id=run.pk) in html
    assert str(run.pk) in html and "AI enrichment" in html


def test_billing_page_paid_actions_empty_state(tenant, admin_client_web):
    url = reverse("billing:overview", kwargs={"tenant_slug": tenant.slug})
    assert "No paid actions yet." in admin_client_web.get(url).content.decode()


def test_locked_tool_keeps_the_runs_history_readable(
    paying, offline_ai, analyst_client_web, two_leads, django_capture_on_commit_callbacks
):
    run = _paid_run(paying, two_leads[:1], django_capture_on_commit_callbacks)
    lock_tool(paying, "enrichment")
    response = analyst_client_web.get(page("enrichment_run", paying, run_id=run.pk))
    assert response.status_code == 200
