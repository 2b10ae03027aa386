"""Staff console: the plan catalogue, subscriptions, access state (with a plan switch) and
usage meters. Writes go through the services so that entitlements follow at once."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from apps.billing import services
from apps.billing.models import (
    LIVE_STATUSES,
    BillingAccount,
    Plan,
    PlanStatus,
    Subscription,
    UsageMeter,
)
from apps.billing.plan_tools import plan_tool_choices
from apps.tenants.admin_base import TenantOwnedAdmin, admin_money


class PlanForm(forms.ModelForm):
    tools = forms.MultipleChoiceField(
        label=_("tools"),
        choices=plan_tool_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Plan
        fields = [
            "code",
            "name_ru",
            "name_en",
            "description_ru",
            "description_en",
            "price_amount",
            "currency",
            "interval",
            "trial_days",
            "lead_limit",
            "limit_mode",
            "max_tenants",
            "max_members",
            "max_channels",
            "tools",
            "status",
            "provider_price_ids",
            "sort_order",
            "downgrade_policy",
            "enrichment_price_amount",
            "usage_billing",
        ]

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").upper()


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    form = PlanForm
    list_display = [
        "code",
        "name_ru",
        "plan_price",
        "interval",
        "lead_limit",
        "limit_mode",
        "max_tenants",
        "max_members",
        "max_channels",
        "enrichment_price",
        "usage_billing",
        "status",
        "sort_order",
    ]
    list_editable = ["status", "sort_order"]
    list_filter = ["status", "currency", "limit_mode"]
    search_fields = ["code", "name_ru", "name_en"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description=_("price"), ordering="price_amount")
    def plan_price(self, plan) -> str:
        return admin_money(plan.price_amount, plan.currency)

    @admin.display(description=_("AI enrichment per lead"), ordering="enrichment_price_amount")
    def enrichment_price(self, plan) -> str:
        return admin_money(plan.enrichment_price_amount, plan.currency)

    def save_model(self, request, obj, form, change):
        services.plan_save(plan=obj, actor=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # retire a plan instead; subscriptions keep pointing at it


@admin.register(Subscription)
class SubscriptionAdmin(TenantOwnedAdmin):
    tenant_list_display = (
        "plan",
        "status",
        "current_period_start",
        "current_period_end",
        "trial_ends_at",
        "cancel_at_period_end",
    )
    list_filter = ["status", "plan"]
    search_fields = ["tenant__name", "tenant__slug"]
    list_select_related = ("tenant", "plan")
    readonly_fields = [
        "tenant",
        "plan",
        "status",
        "current_period_start",
        "current_period_end",
        "trial_ends_at",
        "trial_reminded_3d_at",
        "trial_reminded_1d_at",
        "ended_at",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False  # plans are assigned on the billing account (through the service)


class BillingAccountForm(forms.ModelForm):
    assign_plan = forms.ModelChoiceField(
        label=_("put on plan now"),
        queryset=Plan.objects.exclude(status=PlanStatus.RETIRED).filter(trial_days=0),
        required=False,
        help_text=_(
            "Starts an active subscription without payment, ends the current one and lifts "
            "read-only or blocked access. Tool overrides are kept."
        ),
    )

    class Meta:
        model = BillingAccount
        fields = ["assign_plan"]

    def clean_assign_plan(self):
        plan = self.cleaned_data.get("assign_plan")
        if plan is not None:
            live = Subscription.objects.for_tenant(self.instance.tenant).filter(
                plan=plan, status__in=LIVE_STATUSES
            )
            if live.exists():
                raise forms.ValidationError(_("The company is already on this plan."))
        return plan


@admin.register(BillingAccount)
class BillingAccountAdmin(TenantOwnedAdmin):
    form = BillingAccountForm
    tenant_list_display = ("access_state", "read_only_until", "access_changed_at")
    list_filter = ["access_state"]
    search_fields = ["tenant__name", "tenant__slug"]
    readonly_fields = ["tenant", "access_state", "read_only_until", "access_changed_at"]

    def has_add_permission(self, request):
        return False  # created with the tenant's trial

    def save_model(self, request, obj, form, change):
        plan = form.cleaned_data.get("assign_plan")
        if plan is None:
            return
        services.subscription_activate(tenant=obj.tenant, plan=plan, actor=request.user)


@admin.register(UsageMeter)
class UsageMeterAdmin(TenantOwnedAdmin):
    tenant_list_display = (
        "period_start",
        "period_end",
        "plan_code",
        "leads_used",
        "lead_limit",
        "limit_mode",
        "warned_80_at",
        "warned_100_at",
    )
    list_filter = ["plan_code", "limit_mode"]
    search_fields = ["tenant__name", "tenant__slug"]
    date_hierarchy = "period_start"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Charges, the credit ledger and billing history (apps/billing/admin_ledger.py).
from apps.billing import admin_ledger  # noqa: E402, F401
