"""Billing page, subscription half: plan-change preview and confirm, actions, history and
billing details — wiring, roles and isolation (rules are tested on the services)."""

import pytest

from apps.billing.models import BillingAccount, BillingEvent, Subscription
from apps.billing.services.history import history_record
from apps.billing.services.subscription_actions import subscription_pause
from apps.billing.tests.helpers import subscribe

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def page(tenant, rest: str = "") -> str:
    return f"/t/{tenant.slug}/billing/{rest}"


@pytest.fixture
def on_start(tenant):
    subscription = subscribe(tenant, "start")
    subscription.provider, subscription.payment_method_id = "sandbox", "sandbox_card_ok"
    subscription.save()
    return subscription


def test_the_billing_page_offers_a_switch_and_shows_actions_history_and_details(
    tenant, admin_client_web, on_start
):
    history_record(tenant, "subscribed", message="Start since today")
    html = admin_client_web.get(page(tenant)).content.decode()
    assert "plan=pro" in html  # the switch button previews Pro
    assert 'id="subscription-actions"' in html
    assert "Start since today" in html
    assert 'id="billing-account"' in html


def test_analysts_see_history_but_no_actions_or_details_form(tenant, analyst_client_web, on_start):
    html = analyst_client_web.get(page(tenant)).content.decode()
    assert 'id="billing-history"' in html
    assert "subscription/pause/" not in html
    assert 'id="billing-account"' not in html


def test_preview_shows_the_amount_and_a_confirm_form(tenant, admin_client_web, on_start):
    response = admin_client_web.get(page(tenant, "change-plan/?plan=pro"), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="proration-amount"' in html
    assert 'name="expected_amount"' in html and 'name="proration_date"' in html


def test_preview_errors_render_in_the_partial(tenant, admin_client_web, on_start):
    response = admin_client_web.get(page(tenant, "change-plan/?plan=email_2500"), **HTMX)
    assert response.status_code == 409
    assert response.context["error"] and 'role="alert"' in response.content.decode()


def test_confirm_switches_the_plan_and_redirects_to_the_page(tenant, admin_client_web, on_start):
    preview = admin_client_web.get(page(tenant, "change-plan/?plan=pro"), **HTMX)
    context = preview.context
    data = {
        "plan": "pro",
        "expected_amount": context["preview"].amount.amount,
        "proration_date": context["preview"].proration_date.isoformat(),
    }
    response = admin_client_web.post(page(tenant, "change-plan/confirm/"), data, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == page(tenant)
    on_start.refresh_from_db()
    assert on_start.plan.code == "pro"


def test_confirm_with_a_stale_amount_shows_the_new_preview(tenant, admin_client_web, on_start):
    response = admin_client_web.post(
        page(tenant, "change-plan/confirm/"), {"plan": "pro", "expected_amount": "1"}, **HTMX
    )
    assert response.status_code == 409
    assert response.context["preview"].new_plan.code == "pro"
    on_start.refresh_from_db()
    assert on_start.plan.code == "start"


def test_actions_pause_and_resume_from_the_page(tenant, admin_client_web, on_start):
    response = admin_client_web.post(page(tenant, "subscription/pause/"), **HTMX)
    assert response["HX-Redirect"] == page(tenant)
    on_start.refresh_from_db()
    assert on_start.status == "paused"
    again = admin_client_web.post(page(tenant, "subscription/pause/"), **HTMX)
    assert again.status_code == 409
    assert again.context["action_error"] and 'role="alert"' in again.content.decode()
    admin_client_web.post(page(tenant, "subscription/resume/"), **HTMX)
    on_start.refresh_from_db()
    assert on_start.status == "active"
    assert admin_client_web.post(page(tenant, "subscription/explode/")).status_code == 404


@pytest.mark.parametrize("client_fixture", ["operator_client_web", "analyst_client_web"])
def test_only_admins_act(request, tenant, on_start, client_fixture):
    client = request.getfixturevalue(client_fixture)
    assert client.post(page(tenant, "subscription/cancel-now/")).status_code == 403
    assert client.get(page(tenant, "change-plan/?plan=pro")).status_code == 403
    assert client.post(page(tenant, "details/"), {"legal_name": "x"}).status_code == 403
    on_start.refresh_from_db()
    assert on_start.status == "active"


def test_outsiders_get_404(tenant, outsider_client_web, on_start):
    assert outsider_client_web.post(page(tenant, "subscription/pause/")).status_code == 404
    assert outsider_client_web.get(page(tenant, "history/")).status_code == 404
    assert Subscription.objects.for_tenant(tenant).get().status == "active"


def test_history_pages_swap_in_place(
    tenant, other_tenant, analyst_client_web, django_assert_max_num_queries
):
    for number in range(12):
        history_record(tenant, "paused", message=f"event {number}")
    history_record(other_tenant, "paused", message="foreign event")
    with django_assert_max_num_queries(12):
        response = analyst_client_web.get(page(tenant, "history/?history_page=2"), **HTMX)
    html = response.content.decode()
    assert "event 1" in html and "event 11" not in html and "foreign" not in html


def test_billing_details_form_saves_and_shows_errors(tenant, admin_client_web):
    ok = admin_client_web.post(
        page(tenant, "details/"),
        {"legal_name": "ООО Ромашка", "tax_id": "7707083893", "invoice_language": "en"},
        **HTMX,
    )
    assert ok.status_code == 200
    account = BillingAccount.objects.for_tenant(tenant).get()
    assert (account.legal_name, account.invoice_language) == ("ООО Ромашка", "en")
    bad = admin_client_web.post(
        page(tenant, "details/"), {"tax_id": "123", "invoice_language": "ru"}, **HTMX
    )
    assert bad.status_code == 400
    assert list(bad.context["account_form"].errors) == ["tax_id"]
    assert not BillingEvent.objects.for_tenant(tenant).exists()


def test_plans_in_another_currency_are_neither_switched_nor_bought_alongside(
    tenant, admin_client_web, on_start
):
    # one paid plan at a time: a plan in another currency waits for the current one to end
    html = admin_client_web.get(page(tenant)).content.decode()
    assert "plan=email_2500" not in html  # no switch preview across currencies
    assert 'name="plan" value="email_2500"' not in html  # nor a second purchase
    assert "email_2500" not in html  # plans in another currency are not offered at all


def test_a_paused_company_sees_the_pause_banner_not_the_trial_one(
    tenant, analyst_client_web, on_start
):
    subscription_pause(tenant=tenant)
    html = analyst_client_web.get(f"/t/{tenant.slug}/").content.decode()
    assert 'data-banner="paused"' in html
    assert html.count("billing-banner") == 1  # not the trial's read-only banner too
