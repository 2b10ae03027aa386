"""Plans, subscriptions, a tenant's access state, usage meters, credits and paid-action charges.
Payments, refunds and invoices are `apps.payments` models."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.core.money import Money
from apps.core.stored_text import render_stored_text
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


class DowngradePolicy(models.TextChoices):
    NEXT_PERIOD = "next_period", _("At the next period")
    IMMEDIATE_CREDIT = "immediate", _("At once, with a prorated credit")


class UsageBilling(models.TextChoices):
    PREPAID = "prepaid", _("Before the work: credit balance, then the saved card")
    ARREARS = "arrears", _("In arrears: metered usage on the period's invoice")


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
    max_channels = models.PositiveIntegerField(
        _("channels"), null=True, blank=True, help_text=_("Empty = unlimited.")
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
    downgrade_policy = models.CharField(
        _("downgrade to this plan"),
        max_length=16,
        choices=DowngradePolicy.choices,
        default=DowngradePolicy.NEXT_PERIOD,
    )
    enrichment_price_amount = models.PositiveBigIntegerField(
        _("AI enrichment price per lead, minor units"),
        default=0,
        help_text=_("In the plan's currency; 0 = included in the plan."),
    )
    usage_billing = models.CharField(
        _("paid actions are billed"),
        max_length=8,
        choices=UsageBilling.choices,
        default=UsageBilling.PREPAID,
    )

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
    provider_ref = models.CharField(
        _("provider subscription id"),
        max_length=64,
        blank=True,
        help_text=_("The provider's own subscription (Stripe sub_...); empty when we renew."),
    )
    pending_plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("plan from the next period"),
        help_text=_("A scheduled downgrade, applied at the end of the current period."),
    )
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    # Dunning: a failed renewal is retried `dunning_attempts` times; access lasts until
    # `grace_until`, then the tenant is blocked.
    dunning_attempts = models.PositiveSmallIntegerField(_("renewal retries made"), default=0)
    next_retry_at = models.DateTimeField(_("next renewal retry"), null=True, blank=True)
    grace_until = models.DateTimeField(_("access kept until"), null=True, blank=True)
    last_failure_reason = models.CharField(_("last failure"), max_length=300, blank=True)
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
            models.Index(fields=["status", "next_retry_at"], name="subscription_retry_due"),
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
    rub_provider = models.CharField(
        _("RUB payment provider"),
        max_length=16,
        blank=True,
        help_text=_("The tenant's choice of YooKassa or T-Bank; empty = the default."),
    )
    # The buyer on invoices.
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    tax_id = models.CharField(_("tax id (INN / VAT)"), max_length=32, blank=True)
    billing_address = models.CharField(_("billing address"), max_length=500, blank=True)
    billing_email = models.EmailField(_("billing e-mail"), blank=True)
    invoice_language = models.CharField(
        _("invoice language"),
        max_length=2,
        choices=[("ru", "Русский"), ("en", "English")],
        default="ru",
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
    # leads_used is the period's count, kept by every reservation (apps/billing/usage_counter.py);
    # False until counted once when the meter may have started after the period's first leads.
    exact = models.BooleanField(_("count is exact"), default=True, editable=False)
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


class CreditEntry(TenantOwnedModel):
    """The tenant's credit balance as a ledger: + for credits (a downgrade's prorated
    remainder, a refund to balance, a top-up), - for what it paid. Balance = the sum."""

    amount = models.BigIntegerField(_("amount in minor units"))
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=300)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "currency"], name="creditentry_tenant")]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.amount} {self.currency}"


class UsageChargeMode(models.TextChoices):
    CREDIT = "credit", _("Credit balance")
    CARD = "card", _("Saved card")
    ARREARS = "arrears", _("Metered, invoiced in arrears")
    INCLUDED = "included", _("Included in the plan")


class UsageChargeStatus(models.TextChoices):
    AUTHORIZED = "authorized", _("Authorized")
    DECLINED = "declined", _("Declined")


class UsageCharge(TenantOwnedModel, TimeStampedModel):
    """A paid, metered action (e.g. an enrichment run) authorized before the work starts.
    The idempotency key (one per run) makes a retried authorization return this row."""

    kind = models.CharField(_("action"), max_length=32)
    reference = models.CharField(_("reference"), max_length=100)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_amount = models.PositiveBigIntegerField(_("unit price, minor units"))
    amount = models.PositiveBigIntegerField(_("amount, minor units"))
    currency = models.CharField(_("currency"), max_length=3)
    mode = models.CharField(_("paid from"), max_length=10, choices=UsageChargeMode.choices)
    status = models.CharField(_("status"), max_length=12, choices=UsageChargeStatus.choices)
    failure_reason = models.CharField(_("failure reason"), max_length=300, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    payment = models.ForeignKey(
        "payments.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="usage_charges",
    )
    provider_ref = models.CharField(_("provider reference"), max_length=100, blank=True)
    # Units not delivered (failed leads) are given back; the invoice shows them.
    refunded_quantity = models.PositiveIntegerField(_("quantity given back"), default=0)
    refunded_amount = models.PositiveBigIntegerField(_("amount given back"), default=0)
    invoice = models.ForeignKey(
        "payments.Invoice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="usage_charges",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("paid action charge")
        verbose_name_plural = _("paid action charges")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refunded_quantity__lte=models.F("quantity")),
                name="usagecharge_refund_within_quantity",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="usagecharge_tenant")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}: {self.quantity} × {self.unit_amount}"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)

    @property
    def net_amount(self) -> int:
        return self.amount - self.refunded_amount


class BillingEventKind(models.TextChoices):
    SUBSCRIBED = "subscribed", _("Subscribed")
    UPGRADED = "upgraded", _("Upgraded")
    DOWNGRADED = "downgraded", _("Downgraded")
    DOWNGRADE_SCHEDULED = "downgrade_scheduled", _("Downgrade scheduled")
    DOWNGRADE_CANCELED = "downgrade_canceled", _("Scheduled downgrade canceled")
    PAUSED = "paused", _("Paused")
    RESUMED = "resumed", _("Resumed")
    CANCEL_SCHEDULED = "cancel_scheduled", _("Cancellation at period end")
    CANCELED = "canceled", _("Canceled")
    REACTIVATED = "reactivated", _("Re-activated")
    RENEWED = "renewed", _("Renewed")
    RENEWAL_UPCOMING = "renewal_upcoming", _("Renewal reminder sent")
    PAYMENT_SUCCEEDED = "payment_succeeded", _("Payment succeeded")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    RENEWAL_RETRY_SCHEDULED = "retry_scheduled", _("Renewal retry scheduled")
    GRACE_ENDED = "grace_ended", _("Grace period over, access blocked")
    REFUNDED = "refunded", _("Refunded")
    CREDIT_ADDED = "credit_added", _("Credit added")
    USAGE_CHARGED = "usage_charged", _("Paid action charged")
    USAGE_DECLINED = "usage_declined", _("Paid action declined")
    INVOICE_ISSUED = "invoice_issued", _("Invoice issued")
    PROVIDER_CHANGED = "provider_changed", _("Payment provider changed")


class BillingEvent(TenantOwnedModel):
    """The tenant's billing history, shown on the billing page: one row per change."""

    kind = models.CharField(_("event"), max_length=24, choices=BillingEventKind.choices)
    message = models.CharField(_("details"), max_length=500, blank=True)
    amount = models.BigIntegerField(_("amount, minor units"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("billing event")
        verbose_name_plural = _("billing history")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="billingevent_tenant")]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.kind}"

    @property
    def display_message(self) -> str:
        """The details in the reader's language (rows written before stored texts keep the
        language they were written in)."""
        text = (self.data or {}).get("text")
        return render_stored_text(text) if text else self.message

    @property
    def money(self) -> Money | None:
        return Money(self.amount, self.currency) if self.amount is not None else None
