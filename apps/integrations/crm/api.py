"""GET /api/v1/tenants/{tenant_id}/crm/connection/: is a CRM connected, which one, which
pipeline, and how the sync is going. GET, POST .../crm/backfill/: send the leads that existed
before the CRM was connected, and its progress. Admins only; the webhooks tool is needed.
Connecting (OAuth consent in amoCRM, Bitrix24's incoming webhook) happens on the dashboard
page."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.api import error_responses
from apps.features.guards import RequiresFeature
from apps.integrations.crm import selectors, services
from apps.integrations.crm.backfill import backfill_last, backfill_progress
from apps.integrations.crm.models import BackfillState, ConnectionState, JobStatus, Provider
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


class CrmBackfillStartSerializer(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only leads created at or after this moment; empty: all leads.",
    )


class CrmBackfillFailureSerializer(serializers.Serializer):
    lead_id = serializers.IntegerField()
    reason = serializers.CharField()


class CrmBackfillSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(
        choices=BackfillState.choices,
        help_text="preparing: choosing the leads; running: sending; waiting_retry: every lead "
        "was tried and only leads that failed for a passing reason wait for their automatic "
        "retry (a new backfill may start); done: every lead processed.",
    )
    since = serializers.DateTimeField(allow_null=True)
    total = serializers.IntegerField(help_text="Leads to send (known once `running`).")
    done = serializers.IntegerField(help_text="Leads processed so far (pushed + skipped + failed).")
    pushed = serializers.IntegerField(help_text="Leads sent: their deal was made or found.")
    skipped = serializers.IntegerField(help_text="Leads with nothing to do (e.g. deleted).")
    failed = serializers.IntegerField(help_text="Leads the CRM refused (retry on the page).")
    retrying = serializers.IntegerField(
        help_text="Leads whose push failed for a passing reason (timeout, 5xx, 429) and waits "
        "for its next automatic try (backoff up to ~17.5 h)."
    )
    next_retry_at = serializers.DateTimeField(
        allow_null=True, help_text="When the next of those retries is due; null: none waits."
    )
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    failures = CrmBackfillFailureSerializer(many=True, help_text="Up to 10, with the reason.")


class CrmBackfillStatusSerializer(serializers.Serializer):
    backfill = CrmBackfillSerializer(
        allow_null=True, help_text="The latest sending of existing leads; null: none yet."
    )


def backfill_data(tenant, backfill) -> dict:
    progress = backfill_progress(tenant, backfill)
    return {
        **{k: progress[k] for k in ("total", "done", "pushed", "skipped", "failed", "retrying")},
        "next_retry_at": progress["next_retry_at"],
        "id": backfill.pk,
        "state": progress["state"],
        "since": backfill.since,
        "started_at": backfill.created_at,
        "finished_at": progress["finished_at"],
        "failures": [
            {"lead_id": job.link.lead_id, "reason": job.error_text} for job in progress["failures"]
        ],
    }


@extend_schema(tags=["crm"], parameters=[TENANT_ID])
class CrmBackfillAPI(TenantAPIView):
    roles = {"GET": Role.ADMIN, "HEAD": Role.ADMIN, "OPTIONS": Role.ADMIN, "POST": Role.ADMIN}
    permission_classes = [IsAuthenticated, RequiresFeature(TOOL)]

    @extend_schema(
        operation_id="getCrmBackfill",
        summary="Progress of the latest sending of existing leads to the CRM",
        responses={200: CrmBackfillStatusSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        backfill = backfill_last(self.tenant, selectors.connection_get(self.tenant))
        data = {"backfill": backfill_data(self.tenant, backfill) if backfill else None}
        return Response(CrmBackfillStatusSerializer(data).data)

    @extend_schema(
        operation_id="startCrmBackfill",
        summary="Send the leads that have no deal yet to the connected CRM, in the background",
        description="Each lead without a deal in the CRM (all, or created since `since`) gets "
        "one sync job, run with the CRM's rate limits and retries; a lead that has a deal is "
        "never sent again. 409 with `backfill_running` while a previous one is `preparing` or "
        "`running` (one in `waiting_retry` does not block: its leads are not chosen again), "
        "`nothing_to_send` when every chosen lead has a deal or waits for a retry, "
        "`crm_not_connected` without a connected CRM. Poll GET for the progress.",
        request=CrmBackfillStartSerializer,
        responses={202: CrmBackfillSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, tenant_id):
        backfill = self.service_call(services.backfill_start, CrmBackfillStartSerializer)
        data = CrmBackfillSerializer(backfill_data(self.tenant, backfill)).data
        return Response(data, status=status.HTTP_202_ACCEPTED)
