"""/api/v1/tenants/{tenant_id}/analytics/."""

from django.urls import path

from apps.analytics import api

base = "tenants/<str:tenant_id>/analytics/"

urlpatterns = [
    path(f"{base}dashboard/", api.DashboardAPI.as_view(), name="api-analytics-dashboard"),
    path(f"{base}channels/", api.ChannelsAPI.as_view(), name="api-analytics-channels"),
    path(f"{base}funnel/", api.FunnelAPI.as_view(), name="api-analytics-funnel"),
    path(f"{base}operators/", api.OperatorsAPI.as_view(), name="api-analytics-operators"),
    path(f"{base}cohorts/", api.CohortsAPI.as_view(), name="api-analytics-cohorts"),
]
