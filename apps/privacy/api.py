"""/api/v1/tenants/{tenant_id}/: one lead's personal data (export, erasure, consent withdrawal),
the company's retention settings, its export of everything, and closing it. Admins only."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import private_files
from apps.core.api import error_responses, validated
from apps.core.errors import ValidationFailed
from apps.leads.selectors import lead_get
from apps.privacy import selectors
from apps.privacy.models import JobStatus
from apps.privacy.serializers import (
    CloseSerializer,
    ClosureSerializer,
    CompanyExportSerializer,
    ErasedSerializer,
    EraseSerializer,
    LeadConsentsSerializer,
    PersonalDataSerializer,
    RetentionSerializer,
    UserDataSerializer,
    WithdrawSerializer,
)
from apps.privacy.services import closure, company_export, consents, people, retention
from apps.tenants.api_base import ADMIN_ONLY, TENANT_ID, TenantAPIView
from apps.tenants.roles import Role

LEAD_ID = OpenApiParameter("lead_id", OpenApiTypes.INT, OpenApiParameter.PATH)
EXPORT_ID = OpenApiParameter("company_export_id", OpenApiTypes.INT, OpenApiParameter.PATH)
TAGS = ["privacy"]


class PrivacyAPIView(TenantAPIView):
    roles = ADMIN_ONLY


@extend_schema(tags=TAGS, parameters=[TENANT_ID, LEAD_ID])
class LeadPersonalDataExportAPI(PrivacyAPIView):
    @extend_schema(
        operation_id="exportLeadPersonalData",
        summary="Everything stored about one lead, as JSON and CSV (audited)",
        request=None,
        responses={200: PersonalDataSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, tenant_id, lead_id):
        lead = lead_get(self.tenant, lead_id)
        data = self.service_call(people.lead_data_export, lead=lead, request=request)
        body = {
            "lead_id": lead.pk,
            "generated_at": timezone.now(),
            "places": data,
            "csv": people.person_csv(data),
        }
        return Response(PersonalDataSerializer(body).data)


@extend_schema(tags=TAGS, parameters=[TENANT_ID, LEAD_ID])
class LeadEraseAPI(PrivacyAPIView):
    @extend_schema(
        operation_id="eraseLead",
        summary="Erase one lead's personal data everywhere (cannot be undone)",
        description="Personal fields are anonymized in every place that holds them, money "
        "records are kept without the person, the lead is never processed or messaged again. "
        "An audit row is written and a receipt is e-mailed to whoever asked.",
        request=EraseSerializer,
        responses={200: ErasedSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id, lead_id):
        lead = lead_get(self.tenant, lead_id)
        EraseSerializer(data=request.data).is_valid(raise_exception=True)
        record = people.lead_erase(
            tenant=self.tenant, lead=lead, actor=request.user, request=request
        )
        body = {
            "request_id": record.pk,
            "lead_id": lead.pk,
            "erased_at": record.created_at,
            "places": record.summary,
        }
        return Response(ErasedSerializer(body).data)


@extend_schema(tags=TAGS, parameters=[TENANT_ID, LEAD_ID])
class LeadConsentWithdrawAPI(PrivacyAPIView):
    roles = {**ADMIN_ONLY, "POST": Role.OPERATOR}

    @extend_schema(
        operation_id="withdrawLeadConsent",
        summary="Record that the lead withdrew consent: no more processing or messages",
        request=WithdrawSerializer,
        responses={200: LeadConsentsSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id, lead_id):
        lead = lead_get(self.tenant, lead_id)
        self.service_call(consents.consent_withdraw, WithdrawSerializer, lead=lead, request=request)
        body = {
            "lead_id": lead.pk,
            "processing_refused": bool(consents.processing_refused(self.tenant.pk, [lead.pk])),
            "consents": list(consents.consent_history(self.tenant, lead)),
        }
        return Response(LeadConsentsSerializer(body).data)


@extend_schema(tags=TAGS, parameters=[TENANT_ID])
class RetentionAPI(PrivacyAPIView):
    @extend_schema(
        operation_id="getRetention",
        summary="How long the company keeps each kind of data (days; null keeps it)",
        responses={200: RetentionSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        return Response(RetentionSerializer(retention.retention_get(self.tenant)).data)

    @extend_schema(
        operation_id="updateRetention",
        summary="Change the retention days (a beat task deletes what is older)",
        request=RetentionSerializer,
        responses={200: RetentionSerializer, **error_responses(400, 401, 403, 404)},
    )
    def put(self, request, tenant_id):
        settings = self.service_call(
            retention.retention_update, RetentionSerializer, request=request
        )
        return Response(RetentionSerializer(settings).data)


@extend_schema(tags=TAGS, parameters=[TENANT_ID])
class CompanyExportCollectionAPI(PrivacyAPIView):
    @extend_schema(
        operation_id="listCompanyExports",
        summary="The company's latest exports of everything",
        responses={200: CompanyExportSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        exports = selectors.company_exports(self.tenant)
        return Response(CompanyExportSerializer(exports, many=True).data)

    @extend_schema(
        operation_id="startCompanyExport",
        summary="Start an export of everything (a ZIP of CSVs and files), built in background",
        request=None,
        responses={202: CompanyExportSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, tenant_id):
        export = self.service_call(company_export.company_export_request, request=request)
        export.refresh_from_db()
        return Response(CompanyExportSerializer(export).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=TAGS, parameters=[TENANT_ID, EXPORT_ID])
class CompanyExportDetailAPI(PrivacyAPIView):
    @extend_schema(
        operation_id="getCompanyExport",
        summary="One export: its status and, when ready, its download address",
        responses={200: CompanyExportSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id, company_export_id):
        export = selectors.company_export_get(self.tenant, company_export_id)
        return Response(CompanyExportSerializer(export).data)


@extend_schema(tags=TAGS, parameters=[TENANT_ID, EXPORT_ID])
class CompanyExportDownloadAPI(PrivacyAPIView):
    @extend_schema(
        operation_id="downloadCompanyExport",
        summary="The ZIP of a finished export",
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY),
            **error_responses(401, 403, 404),
        },
    )
    def get(self, request, tenant_id, company_export_id):
        export = selectors.company_export_get(self.tenant, company_export_id)
        if export.status != JobStatus.DONE or not private_files.exists(export.file):
            raise Http404
        return private_files.download_response(
            export.file, filename=f"{self.tenant.slug}-export.zip", content_type="application/zip"
        )


@extend_schema(tags=TAGS, parameters=[TENANT_ID])
class CompanyCloseAPI(PrivacyAPIView):
    people_only = frozenset({"POST"})

    @extend_schema(
        operation_id="closeCompany",
        summary="Close the company: read-only for 30 days, then deleted for good",
        description="The subscription is canceled at the end of its paid period. Start an "
        "export of everything first (`POST .../privacy/export/`): it stays downloadable while "
        "the company is closed. Staff can restore the company within the 30 days.",
        request=CloseSerializer,
        responses={200: ClosureSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, tenant_id):
        data = validated(CloseSerializer, request)
        if data["confirm_slug"] != self.tenant.slug:
            raise ValidationFailed(
                _("Type the company's address name to confirm."),
                fields={"confirm_slug": [_("Does not match the company's address name.")]},
            )
        result = closure.company_close(tenant=self.tenant, actor=request.user, request=request)
        return Response(ClosureSerializer(result).data)


class MyPersonalDataExportAPI(APIView):
    @extend_schema(
        tags=["me"],
        operation_id="exportMyPersonalData",
        summary="Everything Fast Lead stores about you, as JSON and CSV (audited)",
        request=None,
        responses={200: UserDataSerializer, **error_responses(401)},
    )
    def post(self, request):
        data = people.user_data_export(user=request.user, request=request)
        body = {
            "user_id": request.user.pk,
            "generated_at": timezone.now(),
            "places": data,
            "csv": people.person_csv(data),
        }
        return Response(UserDataSerializer(body).data)
