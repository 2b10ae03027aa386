"""Pause / resume / cancel / re-activate / drop a scheduled downgrade, and billing details."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from apps.billing import services
from apps.billing.models import (
    AccessState,
    BillingAccount,
    BillingEvent,
    Plan,
    PlanStatus,
    Subscription,
    SubscriptionStatus,
)
from apps.billing.services import subscription_actions as actions
from apps.billing.services.lifecycle import GRACE_PERIOD
from apps.billing.services.payments import payment_start, provider_choose
from apps.billing.tests.helpers import plan, start_trial, subscribe
from apps.core.errors import Conflict, ValidationFailed
from apps.features.selectors import entitlements_get


def kinds(tenant) -> list[str]:
    return list(
        BillingEvent.objects.for_tenant(tenant)
        .order_by("created_at")
        .values_list("kind", flat=True)
    )


def account(tenant) -> BillingAccount:
    return BillingAccount.objects.for_tenant(tenant).get()


def refuse(code: str, action, **kwargs):
    with pytest.raises(Conflict) as error:
        action(**kwargs)
    assert error.value.code == code
    assert error.value.status_code == 409
    return error.value


# --- pause / resume ---------------------------------------------------------------------------


def test_pause_makes_the_company_read_only_without_a_grace_clock(tenant, admin_user):
    subscription = subscribe(tenant, "pro")

    actions.subscription_pause(tenant=tenant, actor=admin_user)

    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PAUSED and subscription.paused_at
    assert (account(tenant).access_state, account(tenant).read_only_until) == ("read_only", None)
    ent = entitlements_get(tenant)
    assert ent.is_read_only and not ent.tools  # paid tools stop
    # the grace clock never blocks a pause, and a paused subscription is not renewed
    services.access_block_due(timezone.now() + timedelta(days=365))
    assert account(tenant).access_state == AccessState.READ_ONLY
    later = subscription.current_period_end + timedelta(days=1)
    assert not services.subscriptions_eligible(later).filter(pk=subscription.pk).exists()
    assert kinds(tenant) == ["paused"]


def test_resume_restores_access_and_moves_the_period_end_by_the_paused_time(tenant):
    subscription = subscribe(tenant, "pro")
    end = subscription.current_period_end
    actions.subscription_pause(tenant=tenant)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(days=3)):
        actions.subscription_resume(tenant=tenant)

    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.paused_at is None
    shift = subscription.current_period_end - end
    assert timedelta(days=3) <= shift < timedelta(days=3, minutes=1)
    assert account(tenant).access_state == AccessState.ACTIVE
    assert entitlements_get(tenant).is_active
    assert kinds(tenant) == ["paused", "resumed"]


def test_pause_and_resume_status_rules(tenant):
    refuse("no_paid_subscription", actions.subscription_pause, tenant=tenant)
    start_trial(tenant)
    refuse("no_paid_subscription", actions.subscription_pause, tenant=tenant)
    subscribe(tenant, "pro")
    refuse("not_paused", actions.subscription_resume, tenant=tenant)
    actions.subscription_pause(tenant=tenant)
    refuse("already_paused", actions.subscription_pause, tenant=tenant)


def test_a_past_due_or_ending_subscription_cannot_be_paused(tenant):
    subscription = subscribe(tenant, "pro")
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        cancel_at_period_end=True
    )
    refuse("cancel_scheduled", actions.subscription_pause, tenant=tenant)
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        status=SubscriptionStatus.PAST_DUE
    )
    refuse("not_active", actions.subscription_pause, tenant=tenant)


# --- cancel / re-activate ---------------------------------------------------------------------


def test_cancel_at_period_end_sets_the_flag_and_drops_a_scheduled_downgrade(tenant):
    subscription = subscribe(tenant, "pro")
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        pending_plan=plan("start")
    )

    actions.subscription_cancel(tenant=tenant, at_period_end=True)

    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.cancel_at_period_end and subscription.pending_plan is None
    assert entitlements_get(tenant).is_active  # paid until the period ends
    event = BillingEvent.objects.for_tenant(tenant).get()
    assert (event.kind, event.data["dropped_pending_plan"]) == ("cancel_scheduled", "start")
    refuse("cancel_scheduled", actions.subscription_cancel, tenant=tenant)


def test_cancel_now_ends_it_and_starts_the_grace_period(tenant):
    subscription = subscribe(tenant, "pro")

    actions.subscription_cancel(tenant=tenant, at_period_end=False)

    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.CANCELED and subscription.ended_at
    row = account(tenant)
    assert row.access_state == AccessState.READ_ONLY
    assert row.read_only_until - timezone.now() > GRACE_PERIOD - timedelta(minutes=1)
    assert entitlements_get(tenant).is_read_only
    assert kinds(tenant) == ["canceled"]
    refuse("already_canceled", actions.subscription_cancel, tenant=tenant, at_period_end=False)


def test_a_paused_subscription_can_be_canceled_now_but_not_at_period_end(tenant):
    subscribe(tenant, "pro")
    actions.subscription_pause(tenant=tenant)
    refuse("not_active", actions.subscription_cancel, tenant=tenant, at_period_end=True)
    actions.subscription_cancel(tenant=tenant, at_period_end=False)
    assert account(tenant).read_only_until is not None  # the grace clock now runs


def test_a_trial_has_nothing_to_cancel(tenant):
    start_trial(tenant)
    refuse("no_paid_subscription", actions.subscription_cancel, tenant=tenant)


def test_reactivate_undoes_a_scheduled_cancel(tenant):
    subscription = subscribe(tenant, "pro")
    actions.subscription_cancel(tenant=tenant)
    actions.subscription_reactivate(tenant=tenant)
    subscription.refresh_from_db()
    assert not subscription.cancel_at_period_end
    assert kinds(tenant) == ["cancel_scheduled", "reactivated"]
    refuse("not_canceled", actions.subscription_reactivate, tenant=tenant)


def test_reactivate_brings_back_a_canceled_subscription_inside_its_paid_period(tenant):
    subscription = subscribe(tenant, "pro")
    actions.subscription_cancel(tenant=tenant, at_period_end=False)

    actions.subscription_reactivate(tenant=tenant)

    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.ended_at is None
    assert account(tenant).access_state == AccessState.ACTIVE
    assert entitlements_get(tenant).is_active


def test_reactivate_refuses_after_the_paid_period_or_on_a_retired_plan(tenant):
    subscription = subscribe(tenant, "pro")
    actions.subscription_cancel(tenant=tenant, at_period_end=False)
    Plan.objects.filter(code="pro").update(status=PlanStatus.RETIRED)
    refuse("plan_retired", actions.subscription_reactivate, tenant=tenant)
    Plan.objects.filter(code="pro").update(status=PlanStatus.ACTIVE)
    past = subscription.current_period_end + timedelta(seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=past):
        refuse("period_over", actions.subscription_reactivate, tenant=tenant)


def test_a_paused_subscription_is_resumed_not_reactivated(tenant):
    subscribe(tenant, "pro")
    actions.subscription_pause(tenant=tenant)
    refuse("paused", actions.subscription_reactivate, tenant=tenant)


def test_drop_a_scheduled_downgrade(tenant):
    subscription = subscribe(tenant, "pro")
    refuse("no_pending_change", actions.subscription_pending_change_cancel, tenant=tenant)
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        pending_plan=plan("start")
    )
    actions.subscription_pending_change_cancel(tenant=tenant)
    subscription.refresh_from_db()
    assert subscription.pending_plan is None
    assert kinds(tenant) == ["downgrade_canceled"]


def test_stripe_managed_subscriptions_are_changed_in_the_portal(tenant):
    subscription = subscribe(tenant, "pro")
    Subscription.objects.for_tenant(tenant).filter(pk=subscription.pk).update(
        provider_ref="sub_123"
    )
    refuse("managed_by_provider", actions.subscription_pause, tenant=tenant)


def test_actions_touch_only_their_own_tenant(tenant, other_tenant):
    subscribe(tenant, "pro")
    other = subscribe(other_tenant, "pro")
    actions.subscription_pause(tenant=tenant)
    other.refresh_from_db()
    assert other.status == SubscriptionStatus.ACTIVE
    assert not BillingEvent.objects.for_tenant(other_tenant).exists()


# --- billing details --------------------------------------------------------------------------


def test_billing_details_are_validated_and_saved(tenant, admin_user):
    actions.billing_account_update(
        tenant=tenant,
        actor=admin_user,
        legal_name="ООО «Ромашка»",
        tax_id="7707083893",
        billing_address="Москва, ул. Ленина, 1",
        billing_email="buh@romashka.ru",
        invoice_language="en",
    )
    row = account(tenant)
    assert (row.legal_name, row.tax_id, row.invoice_language) == (
        "ООО «Ромашка»",
        "7707083893",
        "en",
    )
    assert not BillingEvent.objects.for_tenant(tenant).exists()  # only provider changes log


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tax_id", "7707083890"),  # wrong check digit
        ("tax_id", "12345"),
        ("billing_email", "not-an-email"),
        ("invoice_language", "de"),
        ("rub_provider", "tinkoff"),  # not configured here
        ("legal_name", "x" * 301),
    ],
)
def test_bad_billing_details_are_refused_field_by_field(tenant, field, value):
    with pytest.raises(ValidationFailed) as error:
        actions.billing_account_update(tenant=tenant, **{field: value})
    assert list(error.value.fields) == [field]


def test_an_eu_vat_number_is_accepted(tenant):
    actions.billing_account_update(tenant=tenant, tax_id="de 123456789")
    assert account(tenant).tax_id == "DE123456789"


def test_the_rub_provider_choice_is_logged_and_used_by_payments(tenant, settings):
    settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = "shop", "secret"
    actions.billing_account_update(tenant=tenant, rub_provider="yookassa")
    event = BillingEvent.objects.for_tenant(tenant).get()
    assert (event.kind, event.data["provider"]) == ("provider_changed", "yookassa")

    assert provider_choose(plan("pro"), None, tenant) == "yookassa"
    assert provider_choose(plan("pro"), "sandbox", tenant) == "sandbox"  # explicit wins


def test_payment_start_uses_the_default_while_the_choice_is_not_configured(tenant):
    BillingAccount.objects.for_tenant(tenant).get_or_create(tenant=tenant)
    BillingAccount.objects.for_tenant(tenant).update(rub_provider="tinkoff")
    payment = payment_start(tenant=tenant, plan=plan("pro"))
    assert payment.provider == "sandbox"


def test_a_write_refused_while_paused_says_the_subscription_is_paused(
    tenant, admin_user, admin_api
):
    subscribe(tenant, "pro")
    actions.subscription_pause(tenant=tenant, actor=admin_user)

    response = admin_api.post(
        f"/api/v1/tenants/{tenant.pk}/leads/", {"email": "a@b.ru"}, format="json"
    )

    assert response.status_code == 402
    message = response.json()["error"]["message"]
    assert "paused" in message.lower() or "приостановлена" in message.lower()
    assert "trial" not in message.lower() and "пробный" not in message.lower()
