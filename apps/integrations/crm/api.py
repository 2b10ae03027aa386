"""GET /api/v1/tenants/{tenant_id}/crm/connection/: is a CRM connected, which one, which
pipeline, and how the sync is going. Admins only; the webhooks tool is needed. Connecting
(OAuth consent in amoCRM) happens on the dashboard page."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.api import error_responses
from apps.features.guards import RequiresFeature
from apps.integrations.crm import selectors
from apps.integrations.crm.models import ConnectionState, JobStatus, Provider
from apps.integrations.outbox import TOOL
from apps.tenants.api_base import TENANT_ID, TenantAPIView
from apps.tenants.roles import Role


class CrmConnectionStatusSerializer(serializers.Serializer):
    connected = serializers.BooleanField(help_text="A CRM is connected and a pipeline chosen.")
    provider = serializers.ChoiceField(choices=Provider.choices, allow_null=True)
    state = serializers.ChoiceField(choices=ConnectionState.choices, allow_null=True)
    account = serializers.CharField(help_text="amoCRM subdomain or Bitrix24 portal host.")
    pipeline_id = serializers.CharField()
    pipeline_name = serializers.CharField()
    last_error = serializers.CharField()
    connected_at = serializers.DateTimeField(allow_null=True)
    jobs_pending = serializers.IntegerField(help_text="Sync jobs waiting or being retried.")
    jobs_failed = serializers.IntegerField(help_text="Sync jobs that failed (retry on the page).")


def status_data(tenant) -> dict:
    connection = selectors.connection_get(tenant)
    jobs = selectors.job_list(tenant)
    return {
        "connected": bool(connection and connection.is_ready),
        "provider": connection.provider if connection else None,
        "state": connection.state if connection else None,
        "account": connection.account if connection else "",
        "pipeline_id": connection.pipeline_id if connection else "",
        "pipeline_name": connection.pipeline_name if connection else "",
        "last_error": connection.last_error if connection else "",
        "connected_at": connection.connected_at if connection else None,
        "jobs_pending": jobs.filter(status__in=(JobStatus.PENDING, JobStatus.RUNNING)).count(),
        "jobs_failed": jobs.filter(status=JobStatus.FAILED).count(),
    }


@extend_schema(tags=["crm"], parameters=[TENANT_ID])
class CrmConnectionAPI(TenantAPIView):
    roles = {"GET": Role.ADMIN, "HEAD": Role.ADMIN, "OPTIONS": Role.ADMIN}
    permission_classes = [IsAuthenticated, RequiresFeature(TOOL)]

    @extend_schema(
        operation_id="getCrmConnection",
        summary="The company's CRM connection and sync status (no credentials)",
        responses={200: CrmConnectionStatusSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        return Response(CrmConnectionStatusSerializer(status_data(self.tenant)).data)
