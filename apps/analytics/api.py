"""/api/v1/tenants/{tenant_id}/analytics/…: seed 001 getDashboard, getChannelStats, getFunnel,
plus operators (extended_analytics) and cohorts (advanced_analytics). Every member reads."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.analytics import selectors
from apps.analytics.dashboard import dashboard
from apps.analytics.periods import period_parse
from apps.analytics.serializers import (
    ChannelsSerializer,
    CohortsSerializer,
    DashboardSerializer,
    FunnelSerializer,
    OperatorsSerializer,
)
from apps.core.api import error_responses
from apps.features.guards import ensure_feature
from apps.tenants.api_base import TenantAPIView

PARAMETERS = [
    OpenApiParameter("tenant_id", OpenApiTypes.STR, OpenApiParameter.PATH),
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        enum=["today", "7d", "30d", "90d", "custom"],
        description="Default 30d (custom when `from` or `to` is given); days in the "
        "company's time zone.",
    ),
    OpenApiParameter(
        "from",
        OpenApiTypes.DATE,
        description="First day (period=custom; 2001-01-01 to 2099-12-31). Default: 29 days "
        "before `to`.",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATE,
        description="Last day, inclusive (period=custom; at most 366 days after `from`). "
        "Default: 29 days after `from`, or today.",
    ),
]
ERRORS = error_responses(400, 401, 403, 404)


class _AnalyticsAPI(TenantAPIView):
    tool: str | None = None

    def period(self):
        if self.tool:
            ensure_feature(self.tenant, self.tool)
        return period_parse(self.tenant, self.request.query_params)

    def _window(self, period) -> dict:
        return {"from": period.first, "to": period.last, "time_zone": str(period.zone)}


@extend_schema(tags=["analytics"], parameters=PARAMETERS)
class DashboardAPI(_AnalyticsAPI):
    @extend_schema(
        operation_id="getDashboard",
        summary="Overview cards: leads, conversion, meetings, time to first contact, "
        "unanswered now, usage — each with the previous period, delta (%) and daily sparkline",
        responses={200: DashboardSerializer, **ERRORS},
    )
    def get(self, request, tenant_id):
        return Response(dashboard(self.tenant, self.period()))


@extend_schema(tags=["analytics"], parameters=PARAMETERS)
class ChannelsAPI(_AnalyticsAPI):
    @extend_schema(
        operation_id="getChannelStats",
        summary="Leads, contacted, booked and won per channel (source), with rates",
        responses={200: ChannelsSerializer, **ERRORS},
    )
    def get(self, request, tenant_id):
        period = self.period()
        return Response(
            {**self._window(period), "channels": selectors.channel_stats(self.tenant, period)}
        )


@extend_schema(tags=["analytics"], parameters=PARAMETERS)
class FunnelAPI(_AnalyticsAPI):
    @extend_schema(
        operation_id="getFunnel",
        summary="Lead → contacted → booked → won: step rates and drop-off, by channel and list; "
        "time-to-first-contact percentiles and histogram",
        responses={200: FunnelSerializer, **ERRORS},
    )
    def get(self, request, tenant_id):
        period = self.period()
        rows = selectors.grouped_rows(self.tenant, period)
        return Response(
            {
                **self._window(period),
                **selectors.funnel(self.tenant, period, rows),
                "time_to_first_contact": {
                    **selectors.ttfc_percentiles(self.tenant, period),
                    "histogram": selectors.ttfc_histogram(self.tenant, period, rows),
                },
            }
        )


@extend_schema(tags=["analytics"], parameters=PARAMETERS)
class OperatorsAPI(_AnalyticsAPI):
    tool = "extended_analytics"

    @extend_schema(
        operation_id="getOperatorStats",
        summary="Per operator: leads handled, median first response, conversion "
        "(extended_analytics; 403 feature_locked otherwise)",
        responses={200: OperatorsSerializer, **ERRORS},
    )
    def get(self, request, tenant_id):
        period = self.period()
        return Response(
            {**self._window(period), "operators": selectors.operator_stats(self.tenant, period)}
        )


@extend_schema(tags=["analytics"], parameters=PARAMETERS)
class CohortsAPI(_AnalyticsAPI):
    tool = "advanced_analytics"

    @extend_schema(
        operation_id="getCohorts",
        summary="Leads by source and ISO week with how far each cohort got "
        "(advanced_analytics; 403 feature_locked otherwise)",
        responses={200: CohortsSerializer, **ERRORS},
    )
    def get(self, request, tenant_id):
        period = self.period()
        return Response({**self._window(period), "cohorts": selectors.cohorts(self.tenant, period)})
