"""/api/v1/tenants/{tenant_id}/tickets/, …/upsell/cases/ and …/upsell/cases/{id}/won/"""

from django.urls import path

from apps.upsell import api

tenant = "tenants/<str:tenant_id>/"

urlpatterns = [
    path(f"{tenant}tickets/", api.TicketCreateAPI.as_view(), name="api-tickets"),
    path(f"{tenant}upsell/cases/", api.CaseListAPI.as_view(), name="api-upsell-cases"),
    path(
        f"{tenant}upsell/cases/<int:case_id>/won/",
        api.CaseWonAPI.as_view(),
        name="api-upsell-case-won",
    ),
]
