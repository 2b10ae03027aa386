"""Pause, resume, cancel and re-activate a paid subscription; drop a scheduled downgrade;
the company's billing details (buyer on invoices, RUB provider choice).

Which status allows what (anything else answers 409 with a specific code and message):

| action | allowed from | effect |
| --- | --- | --- |
| pause | `active`, not scheduled to cancel | `paused`, `paused_at`; access read-only |
| resume | `paused` | `active`; the period end moves later by the time paused; access restored |
| cancel at period end | `active` | `cancel_at_period_end`; a scheduled downgrade is dropped |
| cancel now | `active`, `past_due`, `paused` | `canceled`; read-only for the grace, then blocked |
| re-activate | `active` + scheduled cancel; `canceled` inside its paid period | `active` again |
| drop scheduled downgrade | `pending_plan` set | `pending_plan` cleared |

* **Paused** = access read-only (`BillingAccount.access_state = read_only` with no
  `read_only_until`, so the grace clock never blocks it): the dashboard and API reads work,
  writes and paid tools stop, the widget keeps collecting leads. A paused subscription is
  not renewed (renewals take `active` ones only). The paid period is frozen: on resume its
  end moves later by the paused time, so no paid day is lost and nothing is charged while
  paused.
* **Cancel at period end** only sets `cancel_at_period_end`; the renewal at the period end
  (renewals, not here) ends the subscription instead of charging it. **Cancel now** ends it
  at once; the rest of the period is not refunded automatically (staff may refund), and the
  company drops to the trial's path: read-only for `GRACE_PERIOD`, then blocked.
* **Scheduled downgrade** (`pending_plan`): the renewal at the period end switches to it
  before charging (renewals, not here); dropping it keeps the current plan.
* Subscriptions renewed by their provider (Stripe, `provider_ref`) are managed in its
  portal: 409 `managed_by_provider`.

Every change writes a `BillingEvent` (`history_record`).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.billing import selectors
from apps.billing.models import (
    LIVE_STATUSES,
    AccessState,
    BillingAccount,
    BillingEventKind,
    PlanStatus,
    Subscription,
    SubscriptionStatus,
    UsageMeter,
)
from apps.billing.plan_limits import subscription_changed
from apps.billing.services.history import history_record
from apps.billing.services.lifecycle import GRACE_PERIOD
from apps.billing.services.subscriptions import _access_restore, _account_locked
from apps.billing.services.usage import meter_ensure
from apps.core.errors import Conflict, ValidationFailed
from apps.core.events import log_event
from apps.core.stored_text import stored_text
from apps.payments import gateways


def _current_locked(tenant) -> Subscription:
    """The company's subscription (newest live, else newest ended), row-locked after the
    billing account so that the actions of one company queue up."""
    account_subscription = selectors.subscription_current(tenant)
    if account_subscription is None or account_subscription.plan.is_trial:
        raise Conflict(
            _("The company has no paid subscription. Choose a plan on the billing page."),
            "no_paid_subscription",
        )
    subscription = (
        Subscription.objects.for_tenant(tenant)
        .select_for_update()
        .select_related("plan")
        .get(pk=account_subscription.pk)
    )
    if subscription.provider_ref:
        raise Conflict(
            _("This subscription is managed by the payment provider: change it in its portal."),
            "managed_by_provider",
        )
    return subscription


def _refuse(message: str, code: str):
    raise Conflict(message, code)


def _changed(tenant) -> None:
    subscription_changed(tenant)


# --- pause / resume ---------------------------------------------------------------------------


@transaction.atomic
def subscription_pause(*, tenant, actor=None) -> Subscription:
    """Pause an active subscription: no renewal, access read-only, period frozen."""
    account = _account_locked(tenant)
    subscription = _current_locked(tenant)
    if subscription.status == SubscriptionStatus.PAUSED:
        _refuse(_("The subscription is already paused."), "already_paused")
    if subscription.status != SubscriptionStatus.ACTIVE:
        _refuse(_("Only an active subscription can be paused."), "not_active")
    if subscription.cancel_at_period_end:
        _refuse(
            _("The subscription already ends with this period: nothing to pause."),
            "cancel_scheduled",
        )
    now = timezone.now()
    subscription.status = SubscriptionStatus.PAUSED
    subscription.paused_at = now
    subscription.save(update_fields=["status", "paused_at", "updated_at"])
    if account.access_state == AccessState.ACTIVE:
        account.access_state = AccessState.READ_ONLY
        account.access_changed_at = now
        account.read_only_until = None  # no grace clock: a pause lasts until resumed
        account.save(update_fields=["access_state", "access_changed_at", "read_only_until"])
        log_event("access_read_only", tenant_id=str(tenant.pk), until=None)
    history_record(
        tenant,
        BillingEventKind.PAUSED,
        message=stored_text(gettext_noop("%(plan)s paused"), plan=subscription.plan.name),
        actor=actor,
        plan=subscription.plan.code,
    )
    _changed(tenant)
    return subscription


@transaction.atomic
def subscription_resume(*, tenant, actor=None) -> Subscription:
    """Resume a paused subscription: active again, the period end moves later by the paused
    time, access restored."""
    account = _account_locked(tenant)
    subscription = _current_locked(tenant)
    if subscription.status != SubscriptionStatus.PAUSED:
        _refuse(_("The subscription is not paused."), "not_paused")
    now = timezone.now()
    paused_for = now - (subscription.paused_at or now)
    old_end = subscription.current_period_end
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.paused_at = None
    subscription.current_period_end = old_end + paused_for
    subscription.save(update_fields=["status", "paused_at", "current_period_end", "updated_at"])
    _meter_extend(tenant, subscription, old_end)
    _access_restore(tenant, account)
    history_record(
        tenant,
        BillingEventKind.RESUMED,
        message=stored_text(
            gettext_noop("%(plan)s resumed; the period now ends on %(date)s"),
            plan=subscription.plan.name,
            date=subscription.current_period_end,
        ),
        actor=actor,
        paused_seconds=int(paused_for.total_seconds()),
        period_end=subscription.current_period_end.isoformat(),
    )
    _changed(tenant)
    meter_ensure(tenant)
    return subscription


def _meter_extend(tenant, subscription: Subscription, old_end) -> None:
    """The usage period follows the subscription's period (same start, later end)."""
    UsageMeter.objects.for_tenant(tenant).filter(
        period_start=subscription.current_period_start, period_end=old_end
    ).update(period_end=subscription.current_period_end, updated_at=timezone.now())


# --- cancel / re-activate ---------------------------------------------------------------------


@transaction.atomic
def subscription_cancel(*, tenant, actor=None, at_period_end: bool = True) -> Subscription:
    """Cancel at the end of the paid period (the default) or now (see the module table)."""
    account = _account_locked(tenant)
    subscription = _current_locked(tenant)
    if subscription.status not in LIVE_STATUSES:
        _refuse(_("The subscription has already ended."), "already_canceled")
    if subscription.status == SubscriptionStatus.TRIALING:
        _refuse(_("A trial ends by itself: there is nothing to cancel."), "on_trial")
    if at_period_end:
        return _cancel_at_period_end(tenant, subscription, actor)
    return _cancel_now(tenant, subscription, account, actor)


def _cancel_at_period_end(tenant, subscription: Subscription, actor) -> Subscription:
    if subscription.status != SubscriptionStatus.ACTIVE:
        _refuse(
            _("Only an active subscription can end with its period; cancel it now instead."),
            "not_active",
        )
    if subscription.cancel_at_period_end:
        _refuse(_("The subscription already ends with this period."), "cancel_scheduled")
    dropped = subscription.pending_plan
    subscription.cancel_at_period_end = True
    subscription.pending_plan = None
    subscription.save(update_fields=["cancel_at_period_end", "pending_plan", "updated_at"])
    history_record(
        tenant,
        BillingEventKind.CANCEL_SCHEDULED,
        message=stored_text(
            gettext_noop("%(plan)s ends on %(date)s"),
            plan=subscription.plan.name,
            date=subscription.current_period_end,
        ),
        actor=actor,
        period_end=subscription.current_period_end.isoformat(),
        dropped_pending_plan=dropped.code if dropped else None,
    )
    return subscription


def _cancel_now(tenant, subscription: Subscription, account: BillingAccount, actor):
    now = timezone.now()
    subscription.status = SubscriptionStatus.CANCELED
    subscription.ended_at = now
    subscription.cancel_at_period_end = False
    subscription.pending_plan = None
    subscription.save(
        update_fields=["status", "ended_at", "cancel_at_period_end", "pending_plan", "updated_at"]
    )
    # The trial's path: read-only for the grace period (a pause's open-ended read-only
    # gets the clock too), then the beat task blocks the company.
    if account.access_state != AccessState.BLOCKED:
        account.access_state = AccessState.READ_ONLY
        account.access_changed_at = now
        account.read_only_until = now + GRACE_PERIOD
        account.save(update_fields=["access_state", "access_changed_at", "read_only_until"])
    log_event(
        "subscription_canceled",
        tenant_id=str(tenant.pk),
        subscription_id=subscription.pk,
        plan=subscription.plan.code,
    )
    history_record(
        tenant,
        BillingEventKind.CANCELED,
        message=stored_text(gettext_noop("%(plan)s canceled"), plan=subscription.plan.name),
        actor=actor,
        plan=subscription.plan.code,
        read_only_until=account.read_only_until.isoformat() if account.read_only_until else None,
    )
    _changed(tenant)
    return subscription


@transaction.atomic
def subscription_reactivate(*, tenant, actor=None) -> Subscription:
    """Undo a scheduled cancel, or bring back a subscription canceled inside its paid period."""
    account = _account_locked(tenant)
    subscription = _current_locked(tenant)
    if subscription.status == SubscriptionStatus.ACTIVE and subscription.cancel_at_period_end:
        subscription.cancel_at_period_end = False
        subscription.save(update_fields=["cancel_at_period_end", "updated_at"])
    elif subscription.status == SubscriptionStatus.CANCELED:
        _reactivate_canceled(tenant, subscription, account)
    elif subscription.status == SubscriptionStatus.PAUSED:
        _refuse(_("The subscription is paused: resume it instead."), "paused")
    else:
        _refuse(_("The subscription is active and not scheduled to end."), "not_canceled")
    history_record(
        tenant,
        BillingEventKind.REACTIVATED,
        message=stored_text(gettext_noop("%(plan)s re-activated"), plan=subscription.plan.name),
        actor=actor,
        plan=subscription.plan.code,
    )
    _changed(tenant)
    meter_ensure(tenant)
    return subscription


def _reactivate_canceled(tenant, subscription: Subscription, account: BillingAccount) -> None:
    if subscription.current_period_end <= timezone.now():
        _refuse(_("The paid period is over: choose the plan and pay for it again."), "period_over")
    if subscription.plan.status == PlanStatus.RETIRED:
        _refuse(_("This plan is no longer available."), "plan_retired")
    live = Subscription.objects.for_tenant(tenant).filter(status__in=LIVE_STATUSES)
    if live.exclude(plan__trial_days__gt=0).exists():
        _refuse(_("The company already has another live subscription."), "already_subscribed")
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.ended_at = None
    subscription.save(update_fields=["status", "ended_at", "updated_at"])
    _access_restore(tenant, account)


@transaction.atomic
def subscription_pending_change_cancel(*, tenant, actor=None) -> Subscription:
    """Drop the downgrade scheduled for the next period: the current plan renews."""
    _account_locked(tenant)
    subscription = _current_locked(tenant)
    if subscription.pending_plan_id is None or subscription.status not in LIVE_STATUSES:
        _refuse(_("No plan change is scheduled."), "no_pending_change")
    dropped = subscription.pending_plan
    subscription.pending_plan = None
    subscription.save(update_fields=["pending_plan", "updated_at"])
    history_record(
        tenant,
        BillingEventKind.DOWNGRADE_CANCELED,
        message=stored_text(
            gettext_noop("%(plan)s stays; the change to %(new)s is canceled"),
            plan=subscription.plan.name,
            new=dropped.name,
        ),
        actor=actor,
        plan=subscription.plan.code,
        dropped_plan=dropped.code,
    )
    return subscription


# --- billing details --------------------------------------------------------------------------

ACCOUNT_FIELDS = (
    "rub_provider",
    "legal_name",
    "tax_id",
    "billing_address",
    "billing_email",
    "invoice_language",
)
_INN_WEIGHTS = {
    10: [(2, 4, 10, 3, 5, 9, 4, 6, 8)],
    12: [(7, 2, 4, 10, 3, 5, 9, 4, 6, 8), (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)],
}
_VAT_ID = re.compile(r"^[A-Z]{2}[0-9A-Z+*.]{2,13}$")


def _inn_valid(value: str) -> bool:
    """A Russian INN: 10 digits (companies) or 12 (individuals) with check digits."""
    weights = _INN_WEIGHTS.get(len(value))
    if weights is None:
        return False
    digits = [int(c) for c in value]
    return all(
        sum(w * d for w, d in zip(row, digits, strict=False)) % 11 % 10 == digits[len(row)]
        for row in weights
    )


def _clean_account(data: dict) -> dict:
    errors: dict[str, list[str]] = {}
    clean = {}
    for field, value in data.items():
        if field not in ACCOUNT_FIELDS:
            errors[field] = [_("Unknown field.")]
            continue
        clean[field] = str(value if value is not None else "").strip()
    _check_provider(clean, errors)
    _check_buyer(clean, errors)
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), fields=errors)
    return clean


def _check_provider(clean: dict, errors: dict) -> None:
    provider = clean.get("rub_provider")
    if provider and provider not in gateways.rub_providers():
        errors["rub_provider"] = [
            _("Choose one of: %(p)s") % {"p": ", ".join(gateways.rub_providers())}
        ]


def _check_buyer(clean: dict, errors: dict) -> None:
    limits = {"legal_name": 300, "billing_address": 500, "billing_email": 254}
    for field, limit in limits.items():
        if len(clean.get(field, "")) > limit:
            errors[field] = [_("At most %(n)s characters.") % {"n": limit}]
    tax_id = clean.get("tax_id", "").replace(" ", "").upper()
    if "tax_id" in clean:
        clean["tax_id"] = tax_id
    if tax_id and not (tax_id.isdigit() and _inn_valid(tax_id)) and not _VAT_ID.match(tax_id):
        errors["tax_id"] = [
            _("Enter a valid INN (10 or 12 digits) or an EU VAT number (e.g. DE123456789).")
        ]
    if clean.get("billing_email") and "billing_email" not in errors:
        try:
            validate_email(clean["billing_email"])
        except ValidationError:
            errors["billing_email"] = [_("Enter a valid e-mail address.")]
    if "invoice_language" in clean and clean["invoice_language"] not in ("ru", "en"):
        errors["invoice_language"] = [_("Choose ru or en.")]


@transaction.atomic
def billing_account_update(*, tenant, actor=None, **data) -> BillingAccount:
    """Change the company's billing details: the RUB provider (only the configured ones;
    empty = the installation's default) and the buyer shown on invoices."""
    clean = _clean_account(data)
    account = _account_locked(tenant)
    old_provider = account.rub_provider
    changed = [field for field, value in clean.items() if getattr(account, field) != value]
    for field in changed:
        setattr(account, field, clean[field])
    if changed:
        account.save(update_fields=[*changed, "updated_at"])
    if "rub_provider" in changed:
        history_record(
            tenant,
            BillingEventKind.PROVIDER_CHANGED,
            message=stored_text(
                gettext_noop("RUB payments: %(old)s → %(new)s"),
                old=old_provider or _("default"),
                new=account.rub_provider or _("default"),
            ),
            actor=actor,
            provider=account.rub_provider,
            previous=old_provider,
        )
    return account
