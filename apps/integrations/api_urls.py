"""/api/v1/tenants/{tenant_id}/webhooks/."""

from django.urls import path

from apps.integrations import api
from apps.integrations.crm import api as crm_api

base = "tenants/<str:tenant_id>/webhooks/"
endpoint = f"{base}endpoints/<int:endpoint_id>/"
delivery = f"{base}deliveries/<int:delivery_id>/"

urlpatterns = [
    path(f"{base}endpoints/", api.EndpointCollectionAPI.as_view(), name="api-webhook-endpoints"),
    path(endpoint, api.EndpointDetailAPI.as_view(), name="api-webhook-endpoint"),
    path(f"{endpoint}test/", api.EndpointTestAPI.as_view(), name="api-webhook-endpoint-test"),
    path(f"{base}deliveries/", api.DeliveryCollectionAPI.as_view(), name="api-webhook-deliveries"),
    path(delivery, api.DeliveryDetailAPI.as_view(), name="api-webhook-delivery"),
    path(f"{delivery}resend/", api.DeliveryResendAPI.as_view(), name="api-webhook-delivery-resend"),
    path(
        "tenants/<str:tenant_id>/crm/connection/",
        crm_api.CrmConnectionAPI.as_view(),
        name="api-crm-connection",
    ),
    path(
        "tenants/<str:tenant_id>/crm/backfill/",
        crm_api.CrmBackfillAPI.as_view(),
        name="api-crm-backfill",
    ),
]
