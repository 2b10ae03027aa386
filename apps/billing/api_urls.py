from django.urls import path

from apps.billing import api

tenant = "tenants/<str:tenant_id>/billing/"

urlpatterns = [
    path("plans/", api.PlanListAPI.as_view(), name="api-plans"),
    path(f"{tenant}usage/", api.UsageAPI.as_view(), name="api-billing-usage"),
    path(f"{tenant}subscription/", api.SubscriptionAPI.as_view(), name="api-billing-subscription"),
    path(
        "ops/subscriptions/eligible/",
        api.EligibleSubscriptionsAPI.as_view(),
        name="api-ops-subscriptions-eligible",
    ),
    path(
        "ops/subscriptions/<int:subscription_id>/charge/<str:request_id>/",
        api.SubscriptionChargeAPI.as_view(),
        name="api-ops-subscription-charge",
    ),
    path(f"{tenant}payments/", api.PaymentListAPI.as_view(), name="api-billing-payments"),
]
