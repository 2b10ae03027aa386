"""Staff console of payments: payments (with a refund action), provider events, refunds and
invoices with their PDF. Read-only: these rows change only through the services. The records
of deleted companies (no company, a "retain until" date) are listed too, with a filter."""

from django.contrib import admin, messages
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError
from apps.core.money import Money
from apps.payments.invoice_pdf import invoice_pdf_response
from apps.payments.models import Invoice, InvoiceLine, Payment, PaymentEvent, Refund
from apps.payments.services.refunds import payment_refund
from apps.tenants.admin_base import ReadOnlyAdmin, TenantOwnedAdmin, admin_link, admin_money


class RetainedFilter(admin.SimpleListFilter):
    """Records kept for accounting after their company was deleted."""

    title = _("kept after the company's deletion")
    parameter_name = "retained"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(tenant__isnull=True)
        if self.value() == "no":
            return queryset.filter(tenant__isnull=False)
        return queryset


@admin.register(Payment)
class PaymentAdmin(TenantOwnedAdmin):
    """Read-only: payments change only through the provider flow and its webhooks."""

    tenant_list_display = (
        "created_at",
        "what_for",
        "payment_amount",
        "provider",
        "is_test",
        "status",
        "receipt_status",
        "failure_reason",
        "retain_until",
    )
    list_filter = ["status", "provider", "is_test", "receipt_status", RetainedFilter]
    list_select_related = ("tenant", "plan")

    @admin.display(description=_("amount"), ordering="amount")
    def payment_amount(self, payment) -> str:
        return admin_money(payment.amount, payment.currency)

    @admin.display(description=_("what for"))
    def what_for(self, payment) -> str:
        """A paid action is not a plan purchase: its kind, not the plan it was paid under."""
        if payment.kind == "usage" or payment.plan_id is None:
            return str(payment.get_kind_display())
        return f"{payment.get_kind_display()}: {payment.plan}"

    search_fields = ["=id", "=provider_id", "=idempotency_key", "tenant__slug"]
    date_hierarchy = "created_at"
    actions = ["refund_in_full"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("payments.add_refund")

    @admin.action(
        description=_("Refund what is left of the selected payments"),
        permissions=["refund"],
    )
    def refund_in_full(self, request, queryset):
        """Through the refund service (provider refund, history, credit note); the key makes a
        second click retry the same refund instead of sending another."""
        for payment in queryset:
            left = payment.amount - payment.refunded_amount
            try:
                refund = payment_refund(
                    payment=payment,
                    money=Money(left, payment.currency),
                    reason=str(_("Refunded by staff")),
                    idempotency_key=f"staff-{payment.pk}-{payment.refunded_amount}",
                    actor=request.user,
                )
            except ApplicationError as exc:
                self.message_user(request, f"{payment}: {exc.message}", messages.ERROR)
                continue
            self.message_user(
                request,
                _("%(payment)s: refund %(status)s.")
                % {"payment": payment, "status": refund.get_status_display()},
                messages.SUCCESS,
            )


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    list_display = ("received", "provider", "provider_event_id", "status", "event_payment")
    list_filter = ["provider", "status"]
    search_fields = ["=provider_event_id"]
    list_select_related = ("payment",)

    @admin.display(description=_("received"), ordering="created_at")
    def received(self, event):
        return event.created_at

    @admin.display(description=_("payment"), ordering="payment")
    def event_payment(self, event) -> str:
        return admin_link(event.payment)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    tenant_list_display = (
        "created_at",
        "refunded",
        "status",
        "receipt_status",
        "reason",
        "payment_link",
        "retain_until",
    )
    list_filter = ["status", "currency", RetainedFilter]
    search_fields = ["=id", "=provider_id", "=idempotency_key", "tenant__slug"]
    list_select_related = ("tenant", "payment")
    date_hierarchy = "created_at"

    @admin.display(description=_("amount"), ordering="amount")
    def refunded(self, refund) -> str:
        return admin_money(refund.amount, refund.currency)

    @admin.display(description=_("payment"))
    def payment_link(self, refund) -> str:
        return admin_link(refund.payment)


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["position", "description", "quantity", "unit_amount", "amount"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    tenant_list_display = (
        "number",
        "kind",
        "status",
        "issued_at",
        "invoice_total",
        "pdf_link",
        "retain_until",
    )
    list_filter = ["kind", "status", "currency", "language", RetainedFilter]
    search_fields = ["=number", "=payment__id", "tenant__slug", "tenant__name"]
    date_hierarchy = "issued_at"
    inlines = [InvoiceLineInline]
    readonly_fields = [
        "tenant",
        "number",
        "kind",
        "status",
        "currency",
        "subtotal",
        "vat_rate_bp",
        "vat_amount",
        "total",
        "issued_at",
        "paid_at",
        "period_start",
        "period_end",
        "payment_link",
        "refund_link",
        "seller",
        "buyer",
        "language",
        "retain_until",
        "pdf_link",
    ]
    fields = readonly_fields

    @admin.display(description=_("total"), ordering="total")
    def invoice_total(self, invoice) -> str:
        return admin_money(invoice.total, invoice.currency)

    @admin.display(description=_("payment"))
    def payment_link(self, invoice) -> str:
        return admin_link(invoice.payment)

    @admin.display(description=_("refund"))
    def refund_link(self, invoice) -> str:
        return admin_link(invoice.refund)

    @admin.display(description="PDF")
    def pdf_link(self, invoice) -> str:
        url = reverse("admin:payments_invoice_pdf", args=[invoice.pk])
        return format_html('<a href="{}">PDF</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.pdf_view)
        return [
            path("<path:object_id>/pdf/", view, name="payments_invoice_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, object_id):
        """The invoice's PDF for staff (the tenant's own page is members-only)."""
        if not self.has_view_permission(request):
            raise Http404
        invoice = get_object_or_404(Invoice.objects.unscoped(), pk=object_id)
        return invoice_pdf_response(invoice, request.GET.get("lang"))
