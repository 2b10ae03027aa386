from django.urls import path

from apps.billing import views, views_payments, views_subscription
from apps.payments import views as payments_views

app_name = "billing"

urlpatterns = [
    path("t/<slug:tenant_slug>/billing/", views.overview, name="overview"),
    path("t/<slug:tenant_slug>/billing/pay/", views.pay, name="pay"),
    path("t/<slug:tenant_slug>/billing/pay-overdue/", views.pay_overdue, name="pay-overdue"),
    path(
        "t/<slug:tenant_slug>/billing/sandbox/<uuid:payment_id>/",
        views.sandbox_page,
        name="sandbox",
    ),
    path(
        "t/<slug:tenant_slug>/billing/invoices/",
        payments_views.invoice_list,
        name="invoices",
    ),
    path(
        "t/<slug:tenant_slug>/billing/invoices/<int:invoice_id>/pdf/",
        payments_views.invoice_pdf,
        name="invoice-pdf",
    ),
    path(
        "t/<slug:tenant_slug>/billing/payments/",
        views_payments.payment_history,
        name="payments",
    ),
    path(
        "t/<slug:tenant_slug>/billing/change-plan/",
        views_subscription.plan_change_preview,
        name="plan_change_preview",
    ),
    path(
        "t/<slug:tenant_slug>/billing/change-plan/confirm/",
        views_subscription.plan_change_confirm,
        name="plan_change_confirm",
    ),
    path(
        "t/<slug:tenant_slug>/billing/subscription/<slug:action>/",
        views_subscription.subscription_action,
        name="subscription_action",
    ),
    path(
        "t/<slug:tenant_slug>/billing/history/",
        views_subscription.history,
        name="history",
    ),
    path(
        "t/<slug:tenant_slug>/billing/details/",
        views_subscription.account_update,
        name="account_update",
    ),
]
