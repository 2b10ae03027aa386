from apps.billing import api, api_subscription
from apps.core.api import api_routes
from apps.payments import api as payments_api

tenant = "tenants/<str:tenant_id>/billing/"

urlpatterns = [
    *api_routes("", "api-", ("plans/", api.PlanListAPI, "plans")),
    *api_routes(
        tenant,
        "api-billing-",
        ("usage/", api.UsageAPI, "usage"),
        ("subscription/", api.SubscriptionAPI, "subscription"),
    ),
    *api_routes(
        "ops/subscriptions/",
        "api-ops-",
        ("eligible/", api.EligibleSubscriptionsAPI, "subscriptions-eligible"),
        ("retries/", api.RetryDueSubscriptionsAPI, "subscriptions-retries"),
        (
            "<int:subscription_id>/charge/<str:request_id>/",
            api.SubscriptionChargeAPI,
            "subscription-charge",
        ),
    ),
    *api_routes(
        tenant,
        "api-billing-",
        ("payments/", api.PaymentListAPI, "payments"),
        ("change-plan/", api_subscription.ChangePlanAPI, "change-plan"),
        ("subscription/pause/", api_subscription.PauseAPI, "subscription-pause"),
        ("subscription/resume/", api_subscription.ResumeAPI, "subscription-resume"),
        ("subscription/cancel/", api_subscription.CancelAPI, "subscription-cancel"),
        ("subscription/reactivate/", api_subscription.ReactivateAPI, "subscription-reactivate"),
        ("subscription/pending-change/", api_subscription.PendingChangeAPI, "pending-change"),
        ("history/", api_subscription.HistoryAPI, "history"),
        ("account/", api_subscription.BillingAccountAPI, "account"),
        ("invoices/", payments_api.InvoiceListAPI, "invoices"),
        ("invoices/<int:invoice_id>/pdf/", payments_api.InvoicePDFAPI, "invoice-pdf"),
    ),
]
