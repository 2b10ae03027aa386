"""Reads of payments: the tenant's invoices (missing and foreign both answer "not found")."""

from apps.payments.models import Invoice


def invoice_list(tenant):
    """The tenant's invoices and credit notes, newest first, with their lines (two queries)."""
    return (
        Invoice.objects.for_tenant(tenant)
        .select_related("payment", "refund")
        .prefetch_related("lines")
        .order_by("-issued_at", "-sequence")
    )


def invoice_get(tenant, invoice_id) -> Invoice:
    """One of the tenant's invoices; missing and foreign both raise Invoice.DoesNotExist."""
    return (
        Invoice.objects.for_tenant(tenant)
        .select_related("payment", "refund")
        .prefetch_related("lines")
        .get(pk=invoice_id)
    )
