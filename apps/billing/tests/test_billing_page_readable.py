"""The billing page reads right: one active sidebar link, headline values in the text colour,
closed periods only with plan names, paid actions not filed under a plan, only plans in the
company's currency, a trial that says it does not renew, and a history in each reader's
language."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from apps.billing.models import BillingEvent, BillingEventKind, UsageMeter
from apps.billing.services.history import history_record
from apps.billing.tests.helpers import plan, start_trial, subscribe
from apps.core.stored_text import stored_text
from apps.payments.models import Payment, PaymentKind, PaymentStatus

pytestmark = pytest.mark.django_db


def _url(tenant):
    return reverse("billing:overview", args=[tenant.slug])


def test_only_the_billing_link_is_active_on_the_billing_page(tenant, admin_client_web):
    start_trial(tenant)
    html = admin_client_web.get(_url(tenant)).content.decode()
    assert html.count('aria-current="page"') == 1
    active = html[: html.index('aria-current="page"')]
    assert active.rstrip().endswith(f'href="{_url(tenant)}"')


def test_headline_values_are_not_grey_like_a_disabled_control():
    css = (Path(settings.BASE_DIR) / "static/css/app.css").read_text()
    rule = next(line for line in css.splitlines() if line.startswith(".stat-value {"))
    assert "var(--fl-text)" in rule and "#c5c9d8" not in rule


def test_past_periods_list_closed_periods_with_plan_names(tenant, admin_client_web):
    subscribe(tenant, "pro")
    html = admin_client_web.get(_url(tenant)).content.decode()
    assert "Past periods" not in html and "Прошлые периоды" not in html  # only the current one
    now = timezone.now()
    UsageMeter.objects.create(
        tenant=tenant,
        period_start=now - timedelta(days=62),
        period_end=now - timedelta(days=31),
        plan_code="pro",
        leads_used=120,
        lead_limit=2000,
    )
    response = admin_client_web.get(_url(tenant))
    meters = response.context["meters"]
    assert [m.leads_used for m in meters] == [120]
    assert meters[0].plan_name == plan("pro").name
    html = response.content.decode()
    rows = html[html.index("Прошлые периоды") :]
    assert f">{plan('pro').name}<" in rows and ">pro<" not in rows


def test_a_paid_action_payment_is_not_filed_under_the_plan(tenant, admin_client_web):
    subscribe(tenant, "pro")
    Payment.objects.create(
        tenant=tenant,
        plan=plan("pro"),
        kind=PaymentKind.USAGE,
        description="AI enrichment of 3 leads",
        amount=3000,
        currency="RUB",
        provider="sandbox",
        status=PaymentStatus.SUCCEEDED,
        idempotency_key="usage-test-1",
    )
    html = admin_client_web.get(_url(tenant)).content.decode()
    cell = html[html.index("data-payment-for>") :]
    cell = cell[: cell.index("</td>")]
    assert "AI enrichment of 3 leads" in cell and plan("pro").name not in cell


def test_a_rub_company_is_offered_only_rub_plans(tenant, admin_client_web):
    start_trial(tenant)
    response = admin_client_web.get(_url(tenant))
    currencies = {p.currency for p in response.context["plans"]}
    assert currencies == {"RUB"}


def test_a_trial_says_when_it_ends_and_that_nothing_renews(tenant, admin_client_web, settings):
    subscription = start_trial(tenant)
    admin_client_web.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = admin_client_web.get(_url(tenant)).content.decode()
    assert "data-trial-end" in html
    bar = html[html.index('id="usage-title"') :]
    bar = bar[: bar.index("</section>")]
    assert re.search(r"renews \d", bar) is None  # no "renews 1 January" during a trial
    assert "nothing renews until you choose a plan" in bar
    trial_end = timezone.localtime(subscription.trial_ends_at)
    assert f"the trial ends {trial_end.day} {trial_end:%B}" in bar


def test_history_reads_in_the_readers_language(tenant, admin_client_web, settings):
    subscribe(tenant, "pro")
    with translation.override("ru"):  # written while a Russian-speaking admin clicked
        history_record(
            tenant,
            BillingEventKind.PAUSED,
            message=stored_text(gettext_noop("%(plan)s paused"), plan="Про"),
        )
    event = BillingEvent.objects.for_tenant(tenant).get(kind=BillingEventKind.PAUSED)
    assert event.message == "Про: приостановлена"
    with translation.override("en"):
        assert event.display_message == "Про paused"
    # the page in English
    admin_client_web.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = admin_client_web.get(_url(tenant)).content.decode()
    assert "Про paused" in html and "приостановлена" not in html
    # the API in English
    with translation.override("ru"):
        assert event.display_message == "Про: приостановлена"
