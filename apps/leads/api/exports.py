"""Lead exports: streamed CSV/XLSX of the current filter, and background export jobs."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from apps.core import private_files
from apps.core.api import error_responses
from apps.core.errors import Conflict, ValidationFailed
from apps.features.guards import ensure_feature
from apps.leads import selectors, services
from apps.leads.api.leads import FILTER_PARAMETERS, TENANT_ID
from apps.leads.export import CONTENT_TYPES, export_filename, export_response
from apps.leads.filters import filters_to_params, parse_lead_filters
from apps.leads.models import ExportStatus
from apps.leads.serializers import ExportStartSerializer, LeadExportSerializer
from apps.tenants.api_base import TenantAPIView
from apps.tenants.api_key_auth import actor_of
from apps.tenants.roles import Role

EXPORT_ID = OpenApiParameter("export_id", OpenApiTypes.INT, OpenApiParameter.PATH)
EXPORT_ROLES = {**TenantAPIView.roles, "POST": Role.ANALYST}
EXPORT = "export"  # the tool (apps/features/registry.py): Pro and up


class _FormatIsNotARenderer(DefaultContentNegotiation):
    """`?format=csv` names the export, not a DRF renderer: answer errors in JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(tags=["leads"], parameters=[TENANT_ID])
class LeadExportAPI(TenantAPIView):
    content_negotiation_class = _FormatIsNotARenderer

    @extend_schema(
        summary="Download the leads of a filter as CSV or XLSX (streamed)",
        description="The download starts at once and is never held in memory whole. "
        "For very large sets a background export (`POST …/leads/exports/`) gives a link.",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=["csv", "xlsx"]),
            *FILTER_PARAMETERS,
        ],
        responses={
            (200, CONTENT_TYPES["csv"]): OpenApiResponse(OpenApiTypes.BINARY),
            (200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY),
            **error_responses(400, 401, 403, 404),
        },
    )
    def get(self, request, tenant_id):
        ensure_feature(self.tenant, EXPORT)
        fmt = request.query_params.get("format", "csv")
        if fmt not in CONTENT_TYPES:
            raise ValidationFailed(
                _("Some filters are invalid."), fields={"format": [_("Must be one of: csv, xlsx.")]}
            )
        filters = parse_lead_filters(request.query_params, user=actor_of(request.user))
        return export_response(selectors.lead_filter(self.tenant, filters), fmt)


@extend_schema(tags=["leads"], parameters=[TENANT_ID])
class LeadExportJobCollectionAPI(TenantAPIView):
    roles = EXPORT_ROLES

    @extend_schema(
        summary="Recent background exports",
        responses={200: LeadExportSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        exports = selectors.lead_exports(self.tenant)[:50]
        return Response(LeadExportSerializer(exports, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Start a background export of a filter; poll it for progress and a link",
        request=ExportStartSerializer,
        responses={202: LeadExportSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id):
        ensure_feature(self.tenant, EXPORT)
        serializer = ExportStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actor = actor_of(request.user)
        filters = parse_lead_filters(serializer.validated_data["filter"], user=actor)
        export = services.lead_export_start(
            tenant=self.tenant,
            actor=actor,
            fmt=serializer.validated_data["format"],
            params=filters_to_params(filters),
        )
        data = LeadExportSerializer(export, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["leads"], parameters=[TENANT_ID, EXPORT_ID])
class LeadExportJobDetailAPI(TenantAPIView):
    @extend_schema(
        summary="A background export: status, progress and, when done, its download link",
        responses={200: LeadExportSerializer, **error_responses(401, 404)},
    )
    def get(self, request, tenant_id, export_id):
        export = selectors.lead_export_get(self.tenant, export_id)
        return Response(LeadExportSerializer(export, context={"request": request}).data)


@extend_schema(tags=["leads"], parameters=[TENANT_ID, EXPORT_ID])
class LeadExportDownloadAPI(TenantAPIView):
    content_negotiation_class = _FormatIsNotARenderer

    @extend_schema(
        summary="Download a finished background export",
        responses={
            (200, CONTENT_TYPES["csv"]): OpenApiResponse(OpenApiTypes.BINARY),
            (200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY),
            302: OpenApiResponse(
                description="With object storage: a signed link to the file (short-lived)"
            ),
            **error_responses(401, 403, 404, 409),
        },
    )
    def get(self, request, tenant_id, export_id):
        ensure_feature(self.tenant, EXPORT)
        export = selectors.lead_export_get(self.tenant, export_id)
        if export.status != ExportStatus.DONE:
            raise Conflict(_("The export is not ready yet."), code="export_not_ready")
        if not private_files.exists(export.file):
            raise Conflict(_("The export file is no longer available."), code="export_gone")
        return private_files.download_response(
            export.file,
            filename=export_filename(export.format),
            content_type=CONTENT_TYPES[export.format],
        )
