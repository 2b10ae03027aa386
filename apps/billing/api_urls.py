from django.urls import path

from apps.billing import api, api_subscription
from apps.payments import api as payments_api

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
        "ops/subscriptions/retries/",
        api.RetryDueSubscriptionsAPI.as_view(),
        name="api-ops-subscriptions-retries",
    ),
    path(
        "ops/subscriptions/<int:subscription_id>/charge/<str:request_id>/",
        api.SubscriptionChargeAPI.as_view(),
        name="api-ops-subscription-charge",
    ),
    path(f"{tenant}payments/", api.PaymentListAPI.as_view(), name="api-billing-payments"),
    path(
        f"{tenant}change-plan/",
        api_subscription.ChangePlanAPI.as_view(),
        name="api-billing-change-plan",
    ),
    path(
        f"{tenant}subscription/pause/",
        api_subscription.PauseAPI.as_view(),
        name="api-billing-subscription-pause",
    ),
    path(
        f"{tenant}subscription/resume/",
        api_subscription.ResumeAPI.as_view(),
        name="api-billing-subscription-resume",
    ),
    path(
        f"{tenant}subscription/cancel/",
        api_subscription.CancelAPI.as_view(),
        name="api-billing-subscription-cancel",
    ),
    path(
        f"{tenant}subscription/reactivate/",
        api_subscription.ReactivateAPI.as_view(),
        name="api-billing-subscription-reactivate",
    ),
    path(
        f"{tenant}subscription/pending-change/",
        api_subscription.PendingChangeAPI.as_view(),
        name="api-billing-pending-change",
    ),
    path(f"{tenant}history/", api_subscription.HistoryAPI.as_view(), name="api-billing-history"),
    path(
        f"{tenant}account/",
        api_subscription.BillingAccountAPI.as_view(),
        name="api-billing-account",
    ),
    path(f"{tenant}invoices/", payments_api.InvoiceListAPI.as_view(), name="api-billing-invoices"),
    path(
        f"{tenant}invoices/<int:invoice_id>/pdf/",
        payments_api.InvoicePDFAPI.as_view(),
        name="api-billing-invoice-pdf",
    ),
]
