from django.urls import path

from apps.payperlead import api

urlpatterns = [
    path(
        "tenants/<str:tenant_id>/billing/reports/",
        api.BillingReportAPI.as_view(),
        name="api-billing-reports",
    ),
]
