"""Every write of billing (payments, refunds and invoices are `apps.payments.services`).

Import from here: `from apps.billing import services; services.subscription_activate(...)`.
"""

from apps.billing.services.dunning import (
    dunning_pay_now,
    subscriptions_retry_due,
)
from apps.billing.services.lifecycle import (
    GRACE_PERIOD,
    TRIAL_REMINDER_DAYS,
    access_block,
    access_block_due,
    access_ensure_writable,
    access_message,
    access_restore,
    billing_transitions_run,
    trial_reminders_send,
    trials_expire,
)
from apps.billing.services.payments import ProviderUnavailable, payment_start
from apps.billing.services.renewals import (
    ChargeOutcome,
    renewals_run,
    subscription_charge,
    subscriptions_eligible,
)
from apps.billing.services.subscriptions import (
    billing_account_ensure,
    plan_save,
    subscription_activate,
    subscription_start_trial,
)
from apps.billing.services.usage import (
    meter_ensure,
    usage_periods_roll,
    usage_warning_claim,
    usage_warnings_due_tenants,
    usage_warnings_send,
)

__all__ = [
    "GRACE_PERIOD",
    "TRIAL_REMINDER_DAYS",
    "ChargeOutcome",
    "ProviderUnavailable",
    "access_block",
    "access_block_due",
    "access_ensure_writable",
    "access_message",
    "access_restore",
    "billing_account_ensure",
    "billing_transitions_run",
    "dunning_pay_now",
    "meter_ensure",
    "payment_start",
    "plan_save",
    "renewals_run",
    "subscription_activate",
    "subscription_charge",
    "subscription_start_trial",
    "subscriptions_eligible",
    "subscriptions_retry_due",
    "trial_reminders_send",
    "trials_expire",
    "usage_periods_roll",
    "usage_warning_claim",
    "usage_warnings_due_tenants",
    "usage_warnings_send",
]
