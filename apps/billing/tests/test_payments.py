"""Payments: services, webhooks, API and the sandbox flow in the dashboard."""

import json

import httpx
import pytest
import responses
import respx
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from waffle.testutils import override_flag

from apps.billing import services
from apps.billing.models import PlanStatus, Subscription
from apps.billing.tests.helpers import plan, start_trial, subscribe
from apps.core.errors import Conflict, ValidationFailed
from apps.payments.gateways.tbank import make_token
from apps.payments.models import Payment, PaymentEvent, PaymentStatus, Refund
from apps.payments.services import payments as payment_steps
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

TINKOFF_API = "https://securepay.test/v2"


@pytest.fixture
def tinkoff(settings):
    settings.TINKOFF_TERMINAL_KEY = "TinkoffBankTest"
    settings.TINKOFF_PASSWORD = "secret-pass"
    settings.TINKOFF_API_URL = TINKOFF_API
    settings.PAYMENTS_RUB_PROVIDER = "tinkoff"
    return settings


def _api(tenant):
    return f"/api/v1/tenants/{tenant.id}/billing/payments/"


def _start(tenant, code="pro", **kwargs) -> Payment:
    with tenant_scope(tenant):
        return services.payment_start(tenant=tenant, plan=plan(code), **kwargs)


def _live(tenant):
    return list(
        Subscription.objects.for_tenant(tenant)
        .filter(status="active")
        .values_list("plan__code", flat=True)
    )


# --- services ---------------------------------------------------------------------------------


def test_sandbox_payment_is_test_marked_and_points_at_the_test_card_page(tenant):
    payment = _start(tenant)
    assert payment.provider == "sandbox" and payment.is_test
    assert payment.status == PaymentStatus.PENDING and payment.amount == 999000
    assert payment.idempotency_key == f"fl-pay-{payment.pk}"
    assert payment.confirmation_url == reverse(
        "billing:sandbox", kwargs={"tenant_slug": tenant.slug, "payment_id": payment.pk}
    )


def test_approval_activates_the_plan_and_keeps_the_card_for_renewals(tenant):
    start_trial(tenant)
    payment = _start(tenant)
    with tenant_scope(tenant):
        payment_steps.payment_sandbox_complete(payment=payment, approve=True)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    subscription = payment.subscription
    assert subscription.plan.code == "pro" and subscription.status == "active"
    assert subscription.provider == "sandbox"
    assert subscription.payment_method_id.startswith("sandbox_card_")


def test_decline_keeps_the_plan_and_records_a_user_safe_reason(tenant):
    start_trial(tenant)
    payment = _start(tenant)
    with tenant_scope(tenant):
        payment_steps.payment_sandbox_complete(payment=payment, approve=False)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    with translation.override("ru"):
        assert payment.failure_reason == gettext("Test card declined: insufficient funds.")
    assert _live(tenant) == []


def test_status_is_monotonic_and_replays_change_nothing(tenant):
    payment = _start(tenant)
    with tenant_scope(tenant):
        payment_steps.payment_apply_status(payment, PaymentStatus.SUCCEEDED)
        payment_steps.payment_apply_status(payment, PaymentStatus.SUCCEEDED)
        payment_steps.payment_apply_status(payment, PaymentStatus.PENDING)
        payment_steps.payment_apply_status(payment, PaymentStatus.CANCELED)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Subscription.objects.for_tenant(tenant).filter(plan__code="pro").count() == 1


def test_success_after_a_failure_wins_the_payer_retried_the_card(tenant):
    payment = _start(tenant)
    with tenant_scope(tenant):
        payment_steps.payment_apply_status(payment, PaymentStatus.FAILED, failure_reason="declined")
        payment_steps.payment_apply_status(payment, PaymentStatus.SUCCEEDED)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and _live(tenant) == ["pro"]


def test_paying_for_the_plan_already_held_is_409(tenant):
    subscribe(tenant, "pro")
    with pytest.raises(Conflict) as info:
        _start(tenant)
    assert info.value.code == "already_subscribed"
    assert not Payment.objects.for_tenant(tenant).exists()


def test_only_active_plans_are_sold(tenant):
    plan("start").__class__.objects.filter(code="start").update(status=PlanStatus.CLOSED)
    for code in ("start", "trial"):
        with pytest.raises(ValidationFailed) as info:
            _start(tenant, code)
        assert info.value.code == "plan_not_sold"


def test_two_successful_payments_for_one_plan_never_make_two_subscriptions(tenant):
    first, second = _start(tenant), _start(tenant)
    with tenant_scope(tenant):
        payment_steps.payment_apply_status(first, PaymentStatus.SUCCEEDED)
        payment_steps.payment_apply_status(second, PaymentStatus.SUCCEEDED)
    second.refresh_from_db()
    assert second.status == PaymentStatus.SUCCEEDED and second.subscription_id is None
    assert _live(tenant) == ["pro"]


@respx.mock
def test_provider_down_marks_the_payment_failed_and_offers_the_other_provider(tenant, tinkoff):
    tinkoff.YOOKASSA_SHOP_ID, tinkoff.YOOKASSA_SECRET_KEY = "100500", "test_secret"
    respx.post(f"{TINKOFF_API}/CheckOrder").mock(side_effect=httpx.ConnectTimeout("down"))
    respx.post(f"{TINKOFF_API}/Init").mock(side_effect=httpx.ConnectTimeout("down"))
    with pytest.raises(services.ProviderUnavailable) as info:
        _start(tenant)
    assert info.value.status_code == 503
    assert info.value.extra == {"provider": "tinkoff", "alternatives": ["yookassa"]}
    payment = Payment.objects.for_tenant(tenant).get()
    assert payment.status == PaymentStatus.FAILED and payment.failure_reason


# --- webhooks ---------------------------------------------------------------------------------


def _tinkoff_started(tenant, tinkoff) -> Payment:
    with respx.mock:
        respx.post(f"{TINKOFF_API}/CheckOrder").mock(  # the order is new
            return_value=httpx.Response(200, json={"Success": True, "ErrorCode": "0"})
        )
        respx.post(f"{TINKOFF_API}/Init").mock(
            return_value=httpx.Response(
                200,
                json={
                    "Success": True,
                    "ErrorCode": "0",
                    "Status": "NEW",
                    "PaymentId": "3093639567",
                    "PaymentURL": "https://securepay.tinkoff.ru/new/abc",
                },
            )
        )
        return _start(tenant)


def _tinkoff_post(client, status="CONFIRMED", token=None, payment_id="3093639567"):
    data = {
        "TerminalKey": "TinkoffBankTest",
        "OrderId": "fl-pay-x",
        "Success": status == "CONFIRMED",
        "Status": status,
        "PaymentId": payment_id,
        "ErrorCode": "0",
        "Amount": 999000,
        "RebillId": "145919",
    }
    data["Token"] = token or make_token(data, "secret-pass")
    return client.post("/webhooks/tinkoff/", json.dumps(data), content_type="application/json")


def test_tinkoff_flow_redirects_then_webhook_activates_and_stores_rebill_id(
    tenant, tinkoff, client
):
    payment = _tinkoff_started(tenant, tinkoff)
    assert payment.confirmation_url == "https://securepay.tinkoff.ru/new/abc"
    response = _tinkoff_post(client)
    assert response.status_code == 200 and response.content == b"OK"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.subscription.payment_method_id == "145919"


def test_tinkoff_webhook_replay_is_200_and_applied_once(tenant, tinkoff, client):
    _tinkoff_started(tenant, tinkoff)
    assert _tinkoff_post(client).status_code == 200
    assert _tinkoff_post(client).status_code == 200
    assert PaymentEvent.objects.count() == 1 and _live(tenant) == ["pro"]


def test_tinkoff_webhook_out_of_order_never_undoes_success(tenant, tinkoff, client):
    payment = _tinkoff_started(tenant, tinkoff)
    _tinkoff_post(client, "CONFIRMED")
    _tinkoff_post(client, "AUTHORIZED")
    _tinkoff_post(client, "REJECTED")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


def test_tinkoff_webhook_with_a_bad_token_is_400_and_changes_nothing(tenant, tinkoff, client):
    payment = _tinkoff_started(tenant, tinkoff)
    assert _tinkoff_post(client, token="0" * 64).status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and not PaymentEvent.objects.exists()


def test_tinkoff_webhook_for_an_unknown_payment_is_200_and_not_recorded(tinkoff, client, db):
    response = _tinkoff_post(client, payment_id="999")
    assert response.status_code == 200 and not PaymentEvent.objects.exists()


def test_webhook_of_an_unconfigured_provider_is_404(client, db):
    assert (
        client.post("/webhooks/yookassa/", "{}", content_type="application/json").status_code == 404
    )


# --- API --------------------------------------------------------------------------------------


def test_api_admin_starts_a_payment_and_lists_it(tenant, admin_api):
    response = admin_api.post(_api(tenant), {"plan": "pro"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending" and body["is_test"] and body["provider"] == "sandbox"
    assert body["amount"] == {"amount": 999000, "currency": "RUB"}
    assert body["confirmation_url"].endswith(f"/billing/sandbox/{body['payment_id']}/")
    listed = admin_api.get(_api(tenant)).json()
    assert [p["payment_id"] for p in listed] == [body["payment_id"]]


def test_api_subscribing_twice_to_the_same_plan_is_409(tenant, admin_api):
    subscribe(tenant, "pro")
    response = admin_api.post(_api(tenant), {"plan": "pro"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_subscribed"


def test_api_rejects_unknown_and_closed_plans_and_unconfigured_providers(tenant, admin_api):
    plan("start").__class__.objects.filter(code="start").update(status=PlanStatus.CLOSED)
    assert admin_api.post(_api(tenant), {"plan": "nope"}, format="json").status_code == 400
    assert admin_api.post(_api(tenant), {"plan": "start"}, format="json").status_code == 400
    response = admin_api.post(_api(tenant), {"plan": "pro", "provider": "tinkoff"}, format="json")
    assert response.status_code == 400


def test_api_is_admin_only_and_tenant_isolated(tenant, other_tenant, operator_api, outsider_api):
    assert operator_api.post(_api(tenant), {"plan": "pro"}, format="json").status_code == 403
    assert operator_api.get(_api(tenant)).status_code == 403
    assert outsider_api.post(_api(tenant), {"plan": "pro"}, format="json").status_code == 404
    assert not Payment.objects.unscoped().exists()


def test_api_payment_list_query_count_is_fixed(tenant, admin_api, django_assert_max_num_queries):
    for _ in range(3):
        _start(tenant)
    admin_api.get(_api(tenant))  # warm caches
    with django_assert_max_num_queries(8):
        assert len(admin_api.get(_api(tenant)).json()) == 3


# --- dashboard --------------------------------------------------------------------------------


def _pay_url(tenant):
    return reverse("billing:pay", args=[tenant.slug])


def test_dashboard_pay_goes_through_the_sandbox_page_to_an_active_plan(tenant, admin_client_web):
    start_trial(tenant)
    response = admin_client_web.post(_pay_url(tenant), {"plan": "pro"})
    assert response.status_code == 302
    page = admin_client_web.get(response["Location"])
    with translation.override("ru"):
        assert page.status_code == 200 and gettext("TEST") in page.content.decode()
    done = admin_client_web.post(response["Location"], {"action": "approve"})
    assert done.status_code == 302 and _live(tenant) == ["pro"]
    overview = admin_client_web.get(reverse("billing:overview", args=[tenant.slug]))
    assert [p.status for p in overview.context["payments"]] == ["succeeded"]


def test_dashboard_offers_the_other_provider_when_the_chosen_one_is_down(
    tenant, tinkoff, admin_client_web
):
    tinkoff.YOOKASSA_SHOP_ID, tinkoff.YOOKASSA_SECRET_KEY = "100500", "test_secret"
    with respx.mock:
        respx.post(f"{TINKOFF_API}/CheckOrder").mock(return_value=httpx.Response(503))
        respx.post(f"{TINKOFF_API}/Init").mock(return_value=httpx.Response(503))
        response = admin_client_web.post(_pay_url(tenant), {"plan": "pro"})
    assert response.status_code == 503
    assert response.context["retry"]["alternatives"] == ["yookassa"]
    assert 'value="yookassa"' in response.content.decode()


def test_sandbox_page_is_404_for_another_tenant_and_for_operators(
    tenant, other_tenant, admin_client_web, operator_user, client
):
    foreign = _start(other_tenant)
    url = reverse("billing:sandbox", args=[tenant.slug, foreign.pk])
    assert admin_client_web.get(url).status_code == 404
    foreign_url = reverse("billing:sandbox", args=[other_tenant.slug, foreign.pk])
    assert admin_client_web.get(foreign_url).status_code == 404
    own = _start(tenant)
    client.force_login(operator_user)
    url = reverse("billing:sandbox", args=[tenant.slug, own.pk])
    assert client.post(url, {"action": "approve"}).status_code == 403
    own.refresh_from_db()
    assert own.status == PaymentStatus.PENDING


def test_api_provider_down_is_503_naming_the_alternatives(tenant, tinkoff, admin_api):
    tinkoff.YOOKASSA_SHOP_ID, tinkoff.YOOKASSA_SECRET_KEY = "100500", "test_secret"
    with respx.mock:
        respx.post(f"{TINKOFF_API}/CheckOrder").mock(side_effect=httpx.ReadTimeout("slow"))
        respx.post(f"{TINKOFF_API}/Init").mock(side_effect=httpx.ReadTimeout("slow"))
        response = admin_api.post(_api(tenant), {"plan": "pro"}, format="json")
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "provider_unavailable" and error["alternatives"] == ["yookassa"]


# --- YooKassa end to end, against recorded API responses ---------------------------------------

YOOKASSA_API = "https://yookassa.test/v3"
YK_ID = "22e12f66-000f-5000-8000-18db351245c7"


@pytest.fixture
def yookassa(settings):
    settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = "100500", "test_secret"
    settings.YOOKASSA_API_URL = YOOKASSA_API
    settings.YOOKASSA_CHECK_IP = True
    settings.PAYMENTS_RUB_PROVIDER = "yookassa"
    return settings


def _yk(status, **extra):
    return {
        "id": YK_ID,
        "status": status,
        "paid": status == "succeeded",
        "amount": {"value": "9990.00", "currency": "RUB"},
        "created_at": "2026-11-23T06:00:00.000Z",
        "metadata": {},
        "recipient": {"account_id": "100500", "gateway_id": "100700"},
        "refundable": status == "succeeded",
        "test": True,
        **extra,
    }


@responses.activate
def test_yookassa_flow_redirects_then_refetched_notification_activates(tenant, yookassa, client):
    # given a payment created at YooKassa with a redirect confirmation
    confirm = {"type": "redirect", "confirmation_url": "https://yoomoney.ru/checkout/x"}
    responses.post(f"{YOOKASSA_API}/payments", json=_yk("pending", confirmation=confirm))
    payment = _start(tenant)
    assert payment.confirmation_url == "https://yoomoney.ru/checkout/x"
    assert responses.calls[0].request.headers["Idempotence-Key"] == payment.idempotency_key
    # when YooKassa notifies from its address and the API confirms the success
    method = {"type": "bank_card", "id": "pm-77", "saved": True}
    responses.get(f"{YOOKASSA_API}/payments/{YK_ID}", json=_yk("succeeded", payment_method=method))
    body = {"type": "notification", "event": "payment.succeeded", "object": _yk("succeeded")}
    response = client.post(
        "/webhooks/yookassa/", json.dumps(body), "application/json", REMOTE_ADDR="185.71.76.1"
    )
    # then the plan is active and the card saved for renewals; a replay changes nothing
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.subscription.payment_method_id == "pm-77"
    client.post(
        "/webhooks/yookassa/", json.dumps(body), "application/json", REMOTE_ADDR="185.71.76.1"
    )
    assert PaymentEvent.objects.count() == 1 and _live(tenant) == ["pro"]


@responses.activate
def test_yookassa_notification_body_is_not_trusted(tenant, yookassa, client):
    responses.post(f"{YOOKASSA_API}/payments", json=_yk("pending"))
    payment = _start(tenant)
    responses.get(f"{YOOKASSA_API}/payments/{YK_ID}", json=_yk("pending"))
    body = {"type": "notification", "event": "payment.succeeded", "object": _yk("succeeded")}
    forged = client.post(
        "/webhooks/yookassa/", json.dumps(body), "application/json", REMOTE_ADDR="203.0.113.9"
    )
    assert forged.status_code == 400
    client.post(
        "/webhooks/yookassa/", json.dumps(body), "application/json", REMOTE_ADDR="185.71.76.1"
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and _live(tenant) == []


def test_staff_console_lists_payments_and_events(tenant, admin_client_staff):
    _start(tenant)
    assert admin_client_staff.get(reverse("admin:payments_payment_changelist")).status_code == 200
    url = reverse("admin:payments_paymentevent_changelist")
    assert admin_client_staff.get(url).status_code == 200


@responses.activate
def test_coming_back_from_yookassa_asks_the_api_for_the_status(tenant, yookassa, admin_client_web):
    responses.post(f"{YOOKASSA_API}/payments", json=_yk("pending"))
    payment = _start(tenant)
    sent = json.loads(responses.calls[0].request.body)
    assert sent["confirmation"]["return_url"].endswith(f"?payment={payment.pk}")
    responses.get(f"{YOOKASSA_API}/payments/{YK_ID}", json=_yk("succeeded"))
    url = reverse("billing:overview", args=[tenant.slug])
    assert admin_client_web.get(f"{url}?payment={payment.pk}").status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and _live(tenant) == ["pro"]
    assert admin_client_web.get(f"{url}?payment=not-a-uuid").status_code == 200


# --- one paid plan at a time ------------------------------------------------------------------


def test_buying_a_second_plan_while_one_is_paid_is_refused_with_the_plan_change_link(
    tenant, admin_api
):
    subscribe(tenant, "business")

    response = admin_api.post(_api(tenant), {"plan": "pro"}, format="json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "plan_change_required"
    assert error["current_plan"] == "business"
    assert error["plan_change_url"] == f"/api/v1/tenants/{tenant.pk}/billing/change-plan/"
    assert not Payment.objects.for_tenant(tenant).exists()
    assert _live(tenant) == ["business"]


def test_a_trial_simply_ends_when_a_paid_plan_is_bought(tenant):
    start_trial(tenant)

    payment = _start(tenant, "pro")
    with tenant_scope(tenant):
        payment_steps.payment_sandbox_complete(payment=payment, approve=True)

    assert _live(tenant) == ["pro"]


def test_two_tabs_paying_for_two_plans_keep_the_first_and_refund_the_second(
    tenant, django_capture_on_commit_callbacks
):
    # given two payments started before either was paid (two browser tabs)
    business, pro = _start(tenant, "business"), _start(tenant, "pro")
    with tenant_scope(tenant):
        payment_steps.payment_sandbox_complete(payment=business, approve=True)
        # when the second one is paid too
        with django_capture_on_commit_callbacks(execute=True):
            payment_steps.payment_sandbox_complete(payment=pro, approve=True)

    # then the plan paid first stays live, never canceled, and the second is refunded in full
    assert _live(tenant) == ["business"]
    with tenant_scope(tenant):
        assert not Subscription.objects.filter(status="canceled").exists()
        refund = Refund.objects.get()
    pro.refresh_from_db()
    assert refund.payment_id == pro.pk and refund.amount == pro.amount
    assert pro.status == PaymentStatus.REFUNDED


def test_the_billing_page_offers_no_second_purchase_in_another_currency(
    tenant, admin_client_web, settings
):
    subscribe(tenant, "pro")
    with override_flag("new_billing", active=True):
        response = admin_client_web.get(reverse("billing:overview", args=[tenant.slug]))
    # a RUB company is offered only RUB plans: nothing in euros to buy alongside
    assert {plan.currency for plan in response.context["plans"]} == {"RUB"}
    assert b'value="email_2500"' not in response.content


# --- the amount the provider reports must be ours ---------------------------------------------


def _assert_needs_review(tenant, payment, settings_admins_mail):
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert "9990.00 RUB" in payment.failure_reason  # ours, next to what was reported
    assert _live(tenant) == []  # nothing activated
    assert any("amount mismatch" in m.subject for m in mail.outbox)


@pytest.mark.parametrize("amount", [100, 999001])
def test_a_signed_tbank_confirmation_for_another_amount_activates_nothing(
    tenant, tinkoff, client, settings, amount
):
    settings.ADMINS = [("Ops", "ops@fastlead.example")]
    payment = _tinkoff_started(tenant, tinkoff)
    data = {
        "TerminalKey": "TinkoffBankTest",
        "OrderId": "fl-pay-x",
        "Success": True,
        "Status": "CONFIRMED",
        "PaymentId": "3093639567",
        "ErrorCode": "0",
        "Amount": amount,  # correctly signed, but not what we asked for (999000)
        "RebillId": "145919",
    }
    data["Token"] = make_token(data, "secret-pass")

    response = client.post("/webhooks/tinkoff/", json.dumps(data), "application/json")

    assert response.status_code == 200 and response.content == b"OK"  # no provider retries
    _assert_needs_review(tenant, payment, settings)
    # and a correct confirmation arriving later does not activate it either
    assert _tinkoff_post(client).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.NEEDS_REVIEW and _live(tenant) == []


@responses.activate
@pytest.mark.parametrize(
    "reported", [{"value": "1.00", "currency": "RUB"}, {"value": "9990.00", "currency": "EUR"}]
)
def test_a_yookassa_record_with_another_amount_or_currency_activates_nothing(
    tenant, yookassa, client, settings, reported
):
    settings.ADMINS = [("Ops", "ops@fastlead.example")]
    responses.post(f"{YOOKASSA_API}/payments", json=_yk("pending"))
    payment = _start(tenant)
    responses.get(f"{YOOKASSA_API}/payments/{YK_ID}", json=_yk("succeeded", amount=reported))
    body = {"type": "notification", "event": "payment.succeeded", "object": _yk("succeeded")}

    client.post(
        "/webhooks/yookassa/", json.dumps(body), "application/json", REMOTE_ADDR="185.71.76.1"
    )

    _assert_needs_review(tenant, payment, settings)
