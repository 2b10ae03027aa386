"""API of plan changes, subscription actions, billing history and billing details: wiring,
roles, error shapes and tenant isolation (the rules themselves are tested on the services)."""

import pytest

from apps.billing.models import BillingAccount, BillingEvent, Subscription
from apps.billing.services.history import history_record
from apps.billing.tests.helpers import start_trial, subscribe
from apps.payments.models import Payment
from conftest import api_client_for
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def url(tenant, rest: str) -> str:
    return f"/api/v1/tenants/{tenant.pk}/billing/{rest}"


@pytest.fixture
def on_start(tenant):
    subscription = subscribe(tenant, "start")
    subscription.provider, subscription.payment_method_id = "sandbox", "sandbox_card_ok"
    subscription.save()
    return subscription


def test_change_plan_preview_then_confirm_with_the_previewed_amount(tenant, admin_api, on_start):
    # given a preview
    preview = admin_api.post(url(tenant, "change-plan/"), {"plan": "pro"}, format="json")
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert (body["action"], body["effective"], body["plan"]) == ("upgrade", "now", "pro")
    assert 0 < body["amount"]["amount"] <= 500000 and body["amount"]["currency"] == "RUB"
    assert not Payment.objects.for_tenant(tenant).exists()  # a preview changes nothing

    # when it is confirmed with that amount and date
    confirm = admin_api.post(
        url(tenant, "change-plan/"),
        {
            "plan": "pro",
            "confirm": True,
            "expected_amount": body["amount"]["amount"],
            "proration_date": body["proration_date"],
        },
        format="json",
    )

    # then Pro is active on the same subscription and the charge is the previewed amount
    assert confirm.status_code == 201, confirm.content
    result = confirm.json()
    assert result["outcome"] == "upgraded"
    assert result["payment"]["amount"]["amount"] == body["amount"]["amount"]
    assert result["subscription"]["plan"]["code"] == "pro"
    on_start.refresh_from_db()
    assert on_start.plan.code == "pro"


def test_a_moved_price_answers_409_with_the_new_amount(tenant, admin_api, on_start):
    response = admin_api.post(
        url(tenant, "change-plan/"),
        {"plan": "pro", "confirm": True, "expected_amount": 1},
        format="json",
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "price_changed"
    assert error["amount"] > 1 and error["preview"]["plan"] == "pro"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"plan": "start"}, 409, "already_subscribed"),
        ({"plan": "email_2500"}, 409, "currency_mismatch"),
        ({"plan": "nope"}, 400, "plan_not_sold"),
        ({"plan": "pro", "confirm": True}, 400, "invalid"),
        ({"plan": "pro", "surprise": 1}, 400, "invalid"),
    ],
)
def test_change_plan_errors_have_the_error_shape(
    tenant, admin_api, on_start, payload, status, code
):
    response = admin_api.post(url(tenant, "change-plan/"), payload, format="json")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_a_trial_is_sent_to_payments(tenant, admin_api):
    start_trial(tenant)
    response = admin_api.post(url(tenant, "change-plan/"), {"plan": "pro"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_paid_subscription"


def test_a_declined_card_answers_402(tenant, admin_api, on_start):
    Subscription.objects.for_tenant(tenant).filter(pk=on_start.pk).update(
        payment_method_id="sandbox_card_decline"
    )
    preview = admin_api.post(url(tenant, "change-plan/"), {"plan": "pro"}, format="json").json()
    response = admin_api.post(
        url(tenant, "change-plan/"),
        {
            "plan": "pro",
            "confirm": True,
            "expected_amount": preview["amount"]["amount"],
            "proration_date": preview["proration_date"],
        },
        format="json",
    )
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "payment_declined"
    on_start.refresh_from_db()
    assert on_start.plan.code == "start"


@pytest.mark.parametrize("role_api", ["operator_api", "analyst_api"])
def test_only_admins_write(request, tenant, on_start, role_api):
    client = request.getfixturevalue(role_api)
    for path, method in [
        ("change-plan/", "post"),
        ("subscription/pause/", "post"),
        ("subscription/cancel/", "post"),
        ("subscription/reactivate/", "post"),
        ("subscription/pending-change/", "delete"),
        ("account/", "patch"),
    ]:
        response = getattr(client, method)(url(tenant, path), {"plan": "pro"}, format="json")
        assert response.status_code == 403, path
    assert client.get(url(tenant, "history/")).status_code == 200
    assert client.get(url(tenant, "account/")).status_code == 200
    on_start.refresh_from_db()
    assert on_start.status == "active"


def test_outsiders_get_404_everywhere(tenant, outsider_api, on_start):
    for path in ("history/", "account/"):
        assert outsider_api.get(url(tenant, path)).status_code == 404
    for path in ("change-plan/", "subscription/pause/"):
        assert outsider_api.post(url(tenant, path), {"plan": "pro"}).status_code == 404
    assert outsider_api.delete(url(tenant, "subscription/pending-change/")).status_code == 404


def test_pause_resume_cancel_reactivate_through_the_api(tenant, admin_api, on_start):
    paused = admin_api.post(url(tenant, "subscription/pause/"))
    assert paused.status_code == 200
    assert (paused.json()["status"], paused.json()["access_state"]) == ("paused", "read_only")
    assert admin_api.post(url(tenant, "subscription/pause/")).json()["error"]["code"] == (
        "already_paused"
    )
    resumed = admin_api.post(url(tenant, "subscription/resume/"))
    assert (resumed.json()["status"], resumed.json()["access_state"]) == ("active", "active")
    canceled = admin_api.post(
        url(tenant, "subscription/cancel/"), {"at_period_end": True}, format="json"
    )
    assert canceled.json()["cancel_at_period_end"] is True
    reactivated = admin_api.post(url(tenant, "subscription/reactivate/"))
    assert reactivated.json()["cancel_at_period_end"] is False
    now = admin_api.post(
        url(tenant, "subscription/cancel/"), {"at_period_end": False}, format="json"
    )
    assert now.json()["status"] == "canceled"
    kinds = list(BillingEvent.objects.for_tenant(tenant).values_list("kind", flat=True))
    assert sorted(kinds) == sorted(
        ["paused", "resumed", "cancel_scheduled", "reactivated", "canceled"]
    )


def test_dropping_a_missing_scheduled_change_answers_409(tenant, admin_api, on_start):
    response = admin_api.delete(url(tenant, "subscription/pending-change/"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_pending_change"


def test_history_is_paginated_newest_first_without_n_plus_one(
    tenant, other_tenant, analyst_api, admin_user, django_assert_max_num_queries
):
    for number in range(7):
        history_record(tenant, "paused", message=f"event {number}", actor=admin_user)
    history_record(other_tenant, "paused", message="foreign")

    with django_assert_max_num_queries(12):
        response = analyst_api.get(url(tenant, "history/") + "?limit=5")

    body = response.json()
    assert body["count"] == 7 and len(body["results"]) == 5
    assert body["results"][0]["message"] == "event 6"
    assert body["results"][0]["actor"] == admin_user.email
    assert "foreign" not in str(body)


def test_billing_details_patch_validates_and_saves(tenant, admin_api):
    response = admin_api.patch(
        url(tenant, "account/"),
        {"legal_name": "ООО «Ромашка»", "tax_id": "7707083893", "invoice_language": "en"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["rub_providers"] == ["sandbox"]
    account = BillingAccount.objects.for_tenant(tenant).get()
    assert (account.legal_name, account.invoice_language) == ("ООО «Ромашка»", "en")

    bad = admin_api.patch(
        url(tenant, "account/"),
        {"rub_provider": "tinkoff", "billing_email": "nope", "color": "red"},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"color"}
    bad = admin_api.patch(
        url(tenant, "account/"), {"rub_provider": "tinkoff", "billing_email": "nope"}, format="json"
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"rub_provider", "billing_email"}


def test_a_second_admin_of_another_tenant_cannot_patch_details(tenant, other_tenant):
    admin_elsewhere = MembershipFactory(tenant=other_tenant, role="admin").user
    response = api_client_for(admin_elsewhere).patch(
        url(tenant, "account/"), {"legal_name": "x"}, format="json"
    )
    assert response.status_code == 404
    assert not BillingAccount.objects.for_tenant(tenant).filter(legal_name="x").exists()


@pytest.mark.parametrize(
    "body", [{"legal_name": 0}, {"tax_id": False}, {"billing_address": {}}, {"rub_provider": None}]
)
def test_billing_details_refuse_values_that_are_not_text(tenant, admin_api, body):
    # these were stored as "0", "FALSE", "{}" and "" (schemathesis: invalid data accepted)
    response = admin_api.patch(url(tenant, "account/"), body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["fields"]) == set(body)
