"""/api/v1/tenants/{tenant_id}/events/, audit/{subject_id}/, messages/."""

from django.urls import path

from apps.messaging.rules import api

tenant = "tenants/<str:tenant_id>/"

urlpatterns = [
    path(f"{tenant}events/", api.EventCollectionAPI.as_view(), name="api-events"),
    path(f"{tenant}audit/<str:subject_id>/", api.AuditAPI.as_view(), name="api-audit"),
    path(f"{tenant}messages/", api.SentMessagesAPI.as_view(), name="api-rule-messages"),
]
