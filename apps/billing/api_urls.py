from django.urls import path

from apps.billing import api

tenant = "tenants/<str:tenant_id>/billing/"

urlpatterns = [
    path("plans/", api.PlanListAPI.as_view(), name="api-plans"),
    path(f"{tenant}usage/", api.UsageAPI.as_view(), name="api-billing-usage"),
    path(f"{tenant}subscription/", api.SubscriptionAPI.as_view(), name="api-billing-subscription"),
]
