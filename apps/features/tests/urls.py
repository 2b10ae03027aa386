"""Probe endpoints guarded by each kind of guard (tests only)."""

from django.http import HttpResponse
from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.features.guards import RequiresFeature, feature_required
from apps.tenants.api_base import TenantAPIView
from apps.tenants.dashboard import dashboard_view


class ExportProbeAPI(TenantAPIView):
    permission_classes = [IsAuthenticated, RequiresFeature("export")]

    def get(self, request, tenant_id):
        return Response({"exported": True})


@dashboard_view()
@feature_required("export")
def export_probe_page(request, tenant_slug):
    return HttpResponse("export page")


urlpatterns = [
    path("api/v1/tenants/<str:tenant_id>/probe/export/", ExportProbeAPI.as_view()),
    path("t/<slug:tenant_slug>/probe/export/", export_probe_page, name="export_probe"),
    path("", include("fastlead.urls")),
]
