"""Staff console for the money ledger: paid-action charges, the credit ledger, refunds,
invoices and the billing history. Read-mostly: rows change only through the services; the one
write here is a manual credit, added through `credit_grant` (fresh idempotency key, history).
Imported by apps/billing/admin.py."""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.billing.models import BillingEvent, CreditEntry, UsageCharge
from apps.billing.services.credits import credit_grant
from apps.core.money import Money
from apps.tenants.admin_base import ReadOnlyAdmin, TenantOwnedAdmin, admin_link, admin_money
from apps.tenants.models import Tenant


@admin.register(UsageCharge)
class UsageChargeAdmin(ReadOnlyAdmin):
    tenant_list_display = (
        "created_at",
        "kind",
        "reference_link",
        "quantity",
        "unit_price",
        "total",
        "mode",
        "status",
        "given_back",
        "payment_link",
        "invoice_link",
    )
    list_filter = ["status", "mode", "kind", "currency"]
    search_fields = ["=reference", "=idempotency_key", "=provider_ref", "tenant__slug"]
    list_select_related = ("tenant", "payment", "invoice")
    date_hierarchy = "created_at"
    fields = [
        "tenant",
        "kind",
        "reference_link",
        "quantity",
        "unit_price",
        "total",
        "currency",
        "mode",
        "status",
        "failure_reason",
        "given_back",
        "payment_link",
        "provider_ref",
        "invoice_link",
        "idempotency_key",
        "created_by",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("reference"), ordering="reference")
    def reference_link(self, charge) -> str:
        """For AI enrichment the reference is the run's id: link to the run."""
        if charge.kind == "enrichment":
            try:
                url = reverse("admin:enrichment_enrichmentrun_change", args=[charge.reference])
            except NoReverseMatch:
                return charge.reference
            return format_html('<a href="{}">{}</a>', url, charge.reference)
        return charge.reference

    @admin.display(description=_("unit price"))
    def unit_price(self, charge) -> str:
        return admin_money(charge.unit_amount, charge.currency)

    @admin.display(description=_("amount"), ordering="amount")
    def total(self, charge) -> str:
        return admin_money(charge.amount, charge.currency)

    @admin.display(description=_("given back"))
    def given_back(self, charge) -> str:
        if not charge.refunded_quantity:
            return "—"
        refunded = admin_money(charge.refunded_amount, charge.currency)
        return f"{charge.refunded_quantity} · {refunded}"

    @admin.display(description=_("payment"))
    def payment_link(self, charge) -> str:
        return admin_link(charge.payment)

    @admin.display(description=_("invoice"))
    def invoice_link(self, charge) -> str:
        return admin_link(charge.invoice)


class CreditGrantForm(forms.ModelForm):
    """A manual credit: an amount in major units (500.00), a reason the tenant will see."""

    tenant = forms.ModelChoiceField(label=_("company"), queryset=Tenant.objects.all())
    credit = forms.DecimalField(
        label=_("amount"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        help_text=_("In major units, e.g. 500.00."),
    )

    class Meta:
        model = CreditEntry
        fields = ["tenant", "currency", "reason", "reference"]

    def clean_currency(self):
        currency = (self.cleaned_data.get("currency") or "").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError(_("An ISO 4217 code such as RUB or EUR."))
        return currency

    def clean(self):
        data = super().clean()
        if data.get("credit") is not None and data.get("currency"):
            data["money"] = Money.from_decimal(data["credit"], data["currency"])
        return data


@admin.register(CreditEntry)
class CreditEntryAdmin(TenantOwnedAdmin):
    """The ledger: credits (+) and spending (−). Staff may add a manual credit; nothing is
    edited or deleted (a correction is a new entry)."""

    tenant_list_display = ("created_at", "signed_amount", "reason", "reference")
    list_filter = ["currency"]
    search_fields = ["=reference", "=idempotency_key", "reason", "tenant__slug"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "tenant",
        "amount",
        "currency",
        "reason",
        "reference",
        "idempotency_key",
        "created_at",
    ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = CreditGrantForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["tenant", "credit", "currency", "reason", "reference"]
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("amount"), ordering="amount")
    def signed_amount(self, entry) -> str:
        text = admin_money(abs(entry.amount), entry.currency)
        return f"+{text}" if entry.amount > 0 else f"−{text}"

    def save_model(self, request, obj, form, change):
        entry = credit_grant(
            tenant=form.cleaned_data["tenant"],
            money=form.cleaned_data["money"],
            reason=form.cleaned_data["reason"],
            reference=form.cleaned_data.get("reference") or "",
            actor=request.user,
        )
        # The admin's messages and log name the row the service wrote.
        obj.pk = entry.pk
        obj.tenant = entry.tenant
        obj.amount = entry.amount
        obj.idempotency_key = entry.idempotency_key
        obj.created_at = entry.created_at


@admin.register(BillingEvent)
class BillingEventAdmin(ReadOnlyAdmin):
    tenant_list_display = ("created_at", "kind", "event_message", "event_amount", "by")
    list_filter = ["kind"]
    search_fields = ["message", "tenant__slug", "tenant__name"]
    list_select_related = ("tenant", "actor")
    date_hierarchy = "created_at"

    @admin.display(description=_("amount"), ordering="amount")
    def event_amount(self, event) -> str:
        return admin_money(event.amount, event.currency)

    @admin.display(description=_("details"))
    def event_message(self, event) -> str:
        return event.display_message

    @admin.display(description=_("by"), ordering="actor")
    def by(self, event):
        return event.actor or "—"
