"""Plans, subscriptions, a tenant's access state and its usage meters (the plan/usage half of
billing; payments add provider fields to `Subscription` and their own models)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.core.money import Money
from apps.tenants.scoping import TenantOwnedModel

TRIAL_PLAN_CODE = "trial"


class BillingInterval(models.TextChoices):
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class LimitMode(models.TextChoices):
    HARD = "hard", _("Hard: refuse leads over the limit")
    SOFT = "soft", _("Soft: warn and accept")


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Active (sold)")
    CLOSED = "closed", _("Closed (no new subscribers, existing ones renew)")
    RETIRED = "retired", _("Retired (nothing renews)")


class Plan(TimeStampedModel):
    """A plan of the catalogue. Prices live here, in minor units, never in code."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    description_ru = models.CharField(_("description (Russian)"), max_length=300, blank=True)
    description_en = models.CharField(_("description (English)"), max_length=300, blank=True)
    price_amount = models.PositiveBigIntegerField(
        _("price in minor units"), help_text=_("499000 = 4,990.00 RUB; 1999 = 19.99 EUR.")
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    interval = models.CharField(
        _("billing interval"),
        max_length=8,
        choices=BillingInterval.choices,
        default=BillingInterval.MONTH,
    )
    trial_days = models.PositiveSmallIntegerField(
        _("trial days"), default=0, help_text=_("Non-zero only for the trial plan.")
    )
    lead_limit = models.PositiveIntegerField(
        _("leads per period"), null=True, blank=True, help_text=_("Empty = unlimited.")
    )
    limit_mode = models.CharField(
        _("limit mode"), max_length=8, choices=LimitMode.choices, default=LimitMode.HARD
    )
    max_tenants = models.PositiveIntegerField(
        _("companies"), null=True, blank=True, help_text=_("Empty = unlimited.")
    )
    max_members = models.PositiveIntegerField(
        _("team members"), null=True, blank=True, help_text=_("Empty = unlimited.")
    )
    tools = models.JSONField(
        _("tools"),
        default=list,
        blank=True,
        help_text=_('Tool keys granted by default; "*" grants every registered tool.'),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=PlanStatus.choices, default=PlanStatus.ACTIVE
    )
    provider_price_ids = models.JSONField(
        _("provider price ids"),
        default=dict,
        blank=True,
        help_text=_('Filled by the payment integration, e.g. {"stripe": "price_..."}.'),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["sort_order", "price_amount", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="plan_currency_iso"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ru").startswith("en") else self.name_ru

    @property
    def description(self) -> str:
        lang = get_language() or "ru"
        return self.description_en if lang.startswith("en") else self.description_ru

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.currency)

    @property
    def is_trial(self) -> bool:
        return self.trial_days > 0

    @property
    def is_unlimited(self) -> bool:
        return self.lead_limit is None


class SubscriptionStatus(models.TextChoices):
    TRIALING = "trialing", _("Trial")
    ACTIVE = "active", _("Active")
    PAST_DUE = "past_due", _("Past due")
    PAUSED = "paused", _("Paused")
    CANCELED = "canceled", _("Canceled")
    EXPIRED = "expired", _("Expired")


LIVE_STATUSES = (
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.PAUSED,
)


class Subscription(TenantOwnedModel, TimeStampedModel):
    """A tenant's subscription to a plan. At most one live subscription per plan."""

    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("plan")
    )
    status = models.CharField(_("status"), max_length=10, choices=SubscriptionStatus.choices)
    current_period_start = models.DateTimeField(_("current period start"))
    current_period_end = models.DateTimeField(_("current period end"))
    cancel_at_period_end = models.BooleanField(_("cancel at period end"), default=False)
    trial_ends_at = models.DateTimeField(_("trial ends at"), null=True, blank=True)
    trial_reminded_3d_at = models.DateTimeField(null=True, blank=True, editable=False)
    trial_reminded_1d_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    provider = models.CharField(_("payment provider"), max_length=16, blank=True)
    payment_method_id = models.CharField(
        _("saved payment method"),
        max_length=64,
        blank=True,
        help_text=_("The provider's saved card (YooKassa payment method, T-Bank RebillId)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "plan"],
                condition=models.Q(status__in=LIVE_STATUSES),
                name="subscription_one_live_per_plan",
            ),
            models.CheckConstraint(
                condition=models.Q(current_period_end__gt=models.F("current_period_start")),
                name="subscription_period_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "-created_at"], name="subscription_tenant"),
            models.Index(fields=["status", "trial_ends_at"], name="subscription_trial_due"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} · {self.status}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class AccessState(models.TextChoices):
    ACTIVE = "active", _("Active")
    READ_ONLY = "read_only", _("Read-only (grace)")
    BLOCKED = "blocked", _("Blocked")


class BillingAccount(TenantOwnedModel, TimeStampedModel):
    """A tenant's billing state: what it may do while unpaid. One row per tenant."""

    access_state = models.CharField(
        _("access"), max_length=10, choices=AccessState.choices, default=AccessState.ACTIVE
    )
    access_changed_at = models.DateTimeField(_("access changed at"), default=timezone.now)
    read_only_until = models.DateTimeField(
        _("read-only until"),
        null=True,
        blank=True,
        help_text=_("End of the grace period; the company is blocked after it."),
    )

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="billingaccount_tenant")]
        indexes = [
            models.Index(fields=["access_state", "read_only_until"], name="billingaccount_grace")
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.access_state}"


class UsageMeter(TenantOwnedModel, TimeStampedModel):
    """Leads created in one billing period of one tenant. Past periods stay as history."""

    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    plan_code = models.CharField(_("plan"), max_length=32, blank=True)
    lead_limit = models.PositiveIntegerField(_("lead limit"), null=True, blank=True)
    limit_mode = models.CharField(
        _("limit mode"), max_length=8, choices=LimitMode.choices, default=LimitMode.HARD
    )
    leads_used = models.IntegerField(_("leads created"), default=0)
    # How many leads the latest reserve statement granted. The reserving UPDATE sets it from
    # the same old row as leads_used, so RETURNING tells the caller exactly what it got.
    last_granted = models.IntegerField(default=0, editable=False)
    warned_80_at = models.DateTimeField(_("80% warning sent"), null=True, blank=True)
    warned_100_at = models.DateTimeField(_("100% warning sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("usage meter")
        verbose_name_plural = _("usage meters")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "period_start"], name="usagemeter_period"),
            models.CheckConstraint(
                condition=models.Q(leads_used__gte=0), name="usagemeter_used_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="usagemeter_period_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.period_start:%Y-%m-%d}: {self.leads_used}"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    WAITING_FOR_CAPTURE = "waiting_for_capture", _("Waiting for capture")
    SUCCEEDED = "succeeded", _("Succeeded")
    CANCELED = "canceled", _("Canceled")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")


# Statuses only move up this ladder, so a late or replayed event never undoes a later one.
# A success outranks a failure: the payer may retry a declined card on the same payment form.
PAYMENT_STATUS_RANK = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.WAITING_FOR_CAPTURE: 1,
    PaymentStatus.FAILED: 2,
    PaymentStatus.CANCELED: 2,
    PaymentStatus.SUCCEEDED: 3,
    PaymentStatus.REFUNDED: 4,
}


class Payment(TenantOwnedModel, TimeStampedModel):
    """One payment attempt. The row exists before the provider is called, so its id is the
    idempotency key and a crash between the call and our commit loses nothing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        Subscription,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
        verbose_name=_("subscription"),
    )
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="payments", verbose_name=_("plan")
    )
    amount = models.PositiveBigIntegerField(_("amount in minor units"))
    currency = models.CharField(_("currency"), max_length=3)
    provider = models.CharField(_("provider"), max_length=16)
    provider_id = models.CharField(_("provider payment id"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    is_test = models.BooleanField(_("test payment"), default=False)
    confirmation_url = models.URLField(_("confirmation URL"), max_length=500, blank=True)
    payment_method_id = models.CharField(_("saved payment method"), max_length=64, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    raw = models.JSONField(_("provider payload"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Renewals (recurring charges): the period paid for, the ops request that created the
    # charge, and a short claim so that two workers never call the provider at once.
    period_start = models.DateTimeField(_("renewal of the period from"), null=True, blank=True)
    request_id = models.CharField(_("charge request id"), max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_id"],
                condition=~models.Q(provider_id=""),
                name="payment_provider_id_unique",
            ),
            models.UniqueConstraint(
                fields=["request_id"],
                condition=~models.Q(request_id=""),
                name="payment_request_id_unique",
            ),
            # One live charge per subscription period: a failed one may be retried.
            models.UniqueConstraint(
                fields=["subscription", "period_start"],
                condition=models.Q(period_start__isnull=False)
                & ~models.Q(status__in=["failed", "canceled"]),
                name="payment_one_charge_per_period",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="payment_tenant")]

    def __str__(self) -> str:
        return f"{self.money} · {self.provider} · {self.status}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


class PaymentEvent(TimeStampedModel):
    """A provider notification already processed: the unique event id makes webhooks
    idempotent (a replay hits the constraint and stops)."""

    provider = models.CharField(_("provider"), max_length=16)
    provider_event_id = models.CharField(_("provider event id"), max_length=128)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    status = models.CharField(_("status"), max_length=20, blank=True)
    raw = models.JSONField(_("payload"), default=dict, blank=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_event_id"], name="paymentevent_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_event_id}"


# Pay-per-lead (apps/billing/payperlead) keeps its models in its own module.
from apps.billing.payperlead.models import *  # noqa: E402, F403
