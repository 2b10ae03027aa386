"""Payments API, invoices: `GET …/billing/invoices/` and `GET …/billing/invoices/{id}/pdf/`
(the paths and names they had under billing; billing's API urls route them here).

Readable from the analyst role up, like the dashboard's invoices page; another company's
invoice answers 404.
"""

import json

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer

from apps.core.api import DefaultPagination, error_responses
from apps.core.errors import NotFound
from apps.payments import selectors
from apps.payments.invoice_pdf import invoice_pdf_response
from apps.payments.models import Invoice
from apps.tenants.api import TENANT_ID
from apps.tenants.api_base import TenantAPIView
from apps.tenants.roles import Role

INVOICE_ID = OpenApiParameter("invoice_id", OpenApiTypes.INT, OpenApiParameter.PATH)
LANG = OpenApiParameter(
    "lang",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    enum=["ru", "en"],
    description="The PDF's language; default: the invoice's own (the billing account's).",
)
ROLES = {"GET": Role.ANALYST, "HEAD": Role.ANALYST, "OPTIONS": Role.ANALYST}


class MoneySerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Minor units: 499000 = 4,990.00 RUB.")
    currency = serializers.CharField(help_text="ISO 4217.")


def _money(amount: int, currency: str) -> dict:
    return {"amount": amount, "currency": currency}


class InvoiceLineSerializer(serializers.Serializer):
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = MoneySerializer()
    amount = MoneySerializer()

    def to_representation(self, line):
        currency = self.context["currency"]
        return {
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": _money(line.unit_amount, currency),
            "amount": _money(line.amount, currency),
        }


class PartySerializer(serializers.Serializer):
    name = serializers.CharField()
    tax_id = serializers.CharField(required=False)
    address = serializers.CharField(required=False)
    email = serializers.CharField(required=False)
    bank = serializers.CharField(required=False, help_text="Seller only.")
    company = serializers.CharField(required=False, help_text="Buyer only: the company's name.")


class InvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="e.g. FL-RUB-2026-000042; sequential per currency.")
    kind = serializers.CharField(help_text="`invoice`, or `credit_note` for a refund.")
    status = serializers.CharField(help_text="`paid` (also for credit notes), `open`, `void`.")
    issued_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    period_start = serializers.DateTimeField(allow_null=True)
    period_end = serializers.DateTimeField(allow_null=True)
    language = serializers.CharField(help_text="`ru` or `en`: the PDF's default language.")
    subtotal = MoneySerializer(help_text="Total without VAT (credit notes are negative).")
    vat_rate_bp = serializers.IntegerField(help_text="Basis points: 2000 = 20 %; 0 = no VAT.")
    vat = MoneySerializer(help_text="VAT included in the total.")
    total = MoneySerializer(help_text="What was paid (negative for a credit note).")
    seller = PartySerializer()
    buyer = PartySerializer()
    payment_id = serializers.UUIDField(allow_null=True)
    refund_id = serializers.UUIDField(allow_null=True)
    is_test = serializers.BooleanField(help_text="Paid in the sandbox: no money was charged.")
    lines = InvoiceLineSerializer(many=True)
    pdf_url = serializers.URLField()

    def to_representation(self, invoice):
        currency = invoice.currency
        request = self.context["request"]
        pdf = reverse(
            "api-billing-invoice-pdf",
            kwargs={"tenant_id": str(invoice.tenant_id), "invoice_id": invoice.pk},
        )
        lines = InvoiceLineSerializer(
            invoice.lines.all(), many=True, context={"currency": currency}
        ).data
        return {
            "id": invoice.pk,
            "number": invoice.number,
            "kind": invoice.kind,
            "status": invoice.status,
            "issued_at": serializers.DateTimeField().to_representation(invoice.issued_at),
            "paid_at": _datetime(invoice.paid_at),
            "period_start": _datetime(invoice.period_start),
            "period_end": _datetime(invoice.period_end),
            "language": invoice.language,
            "subtotal": _money(invoice.subtotal, currency),
            "vat_rate_bp": invoice.vat_rate_bp,
            "vat": _money(invoice.vat_amount, currency),
            "total": _money(invoice.total, currency),
            "seller": invoice.seller,
            "buyer": invoice.buyer,
            "payment_id": str(invoice.payment_id) if invoice.payment_id else None,
            "refund_id": str(invoice.refund_id) if invoice.refund_id else None,
            "is_test": bool(invoice.payment_id and invoice.payment.is_test),
            "lines": lines,
            "pdf_url": request.build_absolute_uri(pdf),
        }


def _datetime(value):
    return serializers.DateTimeField().to_representation(value) if value else None


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class InvoiceListAPI(TenantAPIView):
    roles = ROLES
    pagination_class = DefaultPagination

    @extend_schema(
        summary="The company's invoices and credit notes, newest first (analyst and up)",
        responses={200: InvoiceSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.invoice_list(self.tenant), request, view=self)
        data = InvoiceSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class PDFRenderer(BaseRenderer):
    """Lets `Accept: application/pdf` through; errors still go out as JSON bytes."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


@extend_schema(tags=["billing"], parameters=[TENANT_ID, INVOICE_ID, LANG])
class InvoicePDFAPI(TenantAPIView):
    roles = ROLES
    renderer_classes = [JSONRenderer, PDFRenderer]

    @extend_schema(
        summary="An invoice as a PDF download (analyst and up)",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF (Content-Disposition: attachment)."
            ),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request, tenant_id, invoice_id: int):
        try:
            invoice = selectors.invoice_get(self.tenant, invoice_id)
        except Invoice.DoesNotExist as exc:
            raise NotFound(_("No such invoice.")) from exc
        return invoice_pdf_response(invoice, request.query_params.get("lang"))
