"""GET /api/v1/tenants/{t}/billing/reports/?period=YYYY-MM[&customer=…][&format=json|csv|pdf]"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from apps.core.api import error_responses
from apps.core.errors import ValidationFailed
from apps.payperlead import exports, presenters, reports, selectors
from apps.payperlead.forms import parse_format, parse_period, resolve_customer
from apps.tenants.api_base import TENANT_ID, TenantAPIView


class _FormatIsNotARenderer(DefaultContentNegotiation):
    """`?format=csv|pdf` names the download, not a DRF renderer: errors stay JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(tags=["billing"], parameters=[TENANT_ID])
class BillingReportAPI(TenantAPIView):
    """Analysts and up (the base view's GET role)."""

    content_negotiation_class = _FormatIsNotARenderer

    @extend_schema(
        summary="Pay-per-lead billing report of a month",
        description=(
            "With `customer` (your reference, or our id): that customer's report — totals "
            "overall and per product, lead types without a card of their own, and every line "
            "(action: value, billed, savings and reason, the action it duplicates, the card "
            "version, the cap computation). Without `customer`: every customer's totals (JSON) "
            "or every line (CSV). Amounts are integers of minor units (1000 = 10.00 USD) in "
            "JSON and major units (10.00) in CSV. Reports are read as stored: an open month is "
            "revalued in the background after actions arrive (`valued_as_of` is when that "
            "valuation read them, `refresh_pending` says a newer one is on its way); a closed "
            "month answers its frozen report. A month without actions is an empty report, not "
            "an error. The CSV ends with a trailer row `#end,<lines>,<currency>,<billed>…`; a "
            "file without it is incomplete (a failure part-way writes `#error,…` and aborts)."
        ),
        parameters=[
            OpenApiParameter(
                "period",
                {"type": "string", "pattern": r"^ *(20[0-9]{2}|2100)-(0[1-9]|1[0-2]) *$"},
                required=True,
                description="YYYY-MM, 2000-01 to 2100-12",
            ),
            OpenApiParameter("customer", OpenApiTypes.STR),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv", "pdf"]),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            **error_responses(400, 401, 403, 404, 422),
        },
    )
    def get(self, request, tenant_id):
        params = request.query_params
        period = parse_period(params.get("period"))
        fmt = parse_format(params.get("format"))
        customer = resolve_customer(self.tenant, params.get("customer"))
        if customer is None and fmt == "pdf":
            raise ValidationFailed(
                _("A PDF is one customer's report."),
                fields={"customer": [_("Choose a customer for a PDF.")]},
            )
        freshness = reports.freshness(self.tenant, period)
        freshness.check()
        if fmt == "csv":
            return exports.csv_response(self.tenant, period, customer)
        if customer is None:
            every = reports.reports_read(self.tenant, period)
            return Response(_fresh(presenters.overall_json(period, every), freshness))
        report = reports.report_read(self.tenant, customer, period)
        if fmt == "pdf":
            return exports.pdf_response(self.tenant, report)
        leads = selectors.leads_by_id(self.tenant, {ln.lead_id for ln in report.lines})
        return Response(_fresh(presenters.report_json(report, leads), freshness))


def _fresh(data: dict, freshness: reports.Freshness) -> dict:
    """When the stored valuation read the actions, and whether a newer one is on its way."""
    data["valued_as_of"] = freshness.as_of.isoformat() if freshness.as_of else None
    data["refresh_pending"] = freshness.pending
    return data
