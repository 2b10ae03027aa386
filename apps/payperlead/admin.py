"""Staff console of pay-per-lead: rate cards (new versions only, through the service),
billing periods (close), reports and lines (read-only), and "why was this billed?" for any
action."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError
from apps.leads.models import Customer, LeadAction
from apps.payperlead import cards, explain, presenters, services
from apps.payperlead.models import BillingLine, BillingPeriod, BillingReport, RateCard
from apps.tenants.admin_base import TenantOwnedAdmin
from apps.tenants.scoping import tenant_scope


class RateCardForm(forms.ModelForm):
    # Any tenant's customer, by id (a select of every tenant's customers would not scale).
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.unscoped(),
        required=False,
        widget=forms.TextInput(attrs={"size": 10, "inputmode": "numeric"}),
        label=_("customer id"),
        help_text=_("Empty: every customer of the tenant."),
    )

    class Meta:
        model = RateCard
        fields = [
            "tenant",
            "customer",
            "lead_type",
            "valid_from",
            "currency",
            "value_high",
            "value_medium",
            "value_low",
            "cap",
            "note",
        ]

    def clean(self):
        data = super().clean()
        tenant, customer = data.get("tenant"), data.get("customer")
        if tenant and customer and customer.tenant_id != tenant.pk:
            self.add_error("customer", _("This customer belongs to another tenant."))
        return data


@admin.register(RateCard)
class RateCardAdmin(TenantOwnedAdmin):
    """A card is versioned: adding one publishes a new version of its scope (the current one
    ends where it starts); existing versions are read-only, so closed months keep prices."""

    form = RateCardForm
    tenant_list_display = (
        "__str__",
        "version",
        "valid_from",
        "valid_to",
        "currency",
        "value_high",
        "value_medium",
        "value_low",
        "cap",
    )
    list_filter = ("currency",)
    search_fields = ("lead_type", "customer__external_ref", "tenant__slug")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [f.name for f in RateCard._meta.fields]
        return ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        try:
            with tenant_scope(data["tenant"]):
                card = cards.rate_card_publish(
                    tenant=data["tenant"],
                    actor=request.user,
                    valid_from=data["valid_from"],
                    currency=data["currency"],
                    value_high=data["value_high"],
                    value_medium=data["value_medium"],
                    value_low=data["value_low"],
                    cap=data["cap"],
                    customer=data.get("customer"),
                    lead_type=data.get("lead_type", ""),
                    note=data.get("note", ""),
                )
        except ApplicationError as exc:
            raise _PublishRefused(exc.message) from None
        for field in RateCard._meta.concrete_fields:
            setattr(obj, field.attname, getattr(card, field.attname))

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except _PublishRefused as exc:
            messages.error(request, str(exc))
            return redirect(request.get_full_path())


class _PublishRefused(Exception):
    pass


@admin.register(BillingPeriod)
class BillingPeriodAdmin(TenantOwnedAdmin):
    tenant_list_display = ("month", "status", "closed_at", "closed_by")
    list_filter = ("status",)
    actions = ["close_periods"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Close the selected months (freeze their reports)"))
    def close_periods(self, request, queryset):
        for period in queryset:
            try:
                with tenant_scope(period.tenant):
                    services.period_close(
                        tenant=period.tenant, actor=request.user, period=period.month
                    )
            except ApplicationError as exc:
                self.message_user(request, f"{period}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, _("%s closed.") % period.month.strftime("%Y-%m"))


@admin.register(BillingReport)
class BillingReportAdmin(TenantOwnedAdmin):
    tenant_list_display = (
        "customer",
        "period",
        "currency",
        "actions_count",
        "gross",
        "billed",
        "savings_duplicate",
        "savings_cap",
        "frozen",
        "computed_at",
        "lines_link",
    )
    list_filter = ("frozen", "period")
    search_fields = ("customer__external_ref", "customer__name", "tenant__slug")
    list_select_related = ("tenant", "customer")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("lines"))
    def lines_link(self, obj):
        url = reverse("admin:payperlead_billingline_changelist") + f"?report__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("lines"))


@admin.register(BillingLine)
class BillingLineAdmin(TenantOwnedAdmin):
    tenant_list_display = (
        "action_ref",
        "report",
        "action_type",
        "engagement",
        "value",
        "billed",
        "savings",
        "reason",
        "card_version",
        "adjustment",
        "why_link",
    )
    list_filter = ("reason", "adjustment", "default_card")
    search_fields = ("=action_ref",)
    list_select_related = ("tenant", "report")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("why?"))
    def why_link(self, obj):
        url = reverse("admin:payperlead_why", args=[obj.action_ref])
        return format_html('<a href="{}">{}</a>', url, _("why?"))

    def get_urls(self):
        why = self.admin_site.admin_view(self.why_view)
        return [
            path("why/", why, name="payperlead_why_form"),
            path("why/<int:action_id>/", why, name="payperlead_why"),
            *super().get_urls(),
        ]

    def why_view(self, request, action_id: int | None = None):
        """Why was this action billed (or not)? Any tenant's action, by its id."""
        if action_id is None and request.GET.get("action"):
            raw = request.GET["action"].strip().lstrip("#")
            if raw.isdigit():
                return redirect("admin:payperlead_why", int(raw))
        context = {**self.admin_site.each_context(request), "title": _("Why was this billed?")}
        if action_id is not None:
            action = (
                LeadAction.objects.unscoped()
                .select_related("lead", "tenant")
                .filter(pk=action_id)
                .first()
            )
            context["action_id"] = action_id
            if action is not None:
                with tenant_scope(action.tenant):
                    try:
                        context.update(
                            _why_context(
                                explain.action_explain(tenant=action.tenant, action=action)
                            )
                        )
                    except ApplicationError as exc:
                        context["error"] = exc.message
        return TemplateResponse(request, "payperlead/reports/admin_why.html", context)


def _why_context(explanation) -> dict:
    line, currency = explanation.line, explanation.currency
    context = {"explanation": explanation, "action": explanation.action}
    if line is None:
        return context
    context["amounts"] = {
        "value": presenters.money(line.value, currency),
        "billed": presenters.money(line.billed, currency),
        "savings": presenters.money(line.savings, currency),
        "cap": presenters.money(line.card.cap, currency),
        "before": presenters.money(line.billed_before, currency),
        "room": presenters.money(max(line.card.cap - line.billed_before, 0), currency),
    }
    context["reason"] = presenters.reason_label(line.reason)
    context["cap_text"] = presenters.explain_cap(line, currency)
    context["scope"] = presenters.SCOPE_LABELS[line.card.scope]
    return context
