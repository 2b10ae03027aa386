from django.urls import path

from apps.billing import views, views_invoices, webhooks

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
        views_invoices.invoice_list,
        name="invoices",
    ),
    path(
        "t/<slug:tenant_slug>/billing/invoices/<int:invoice_id>/pdf/",
        views_invoices.invoice_pdf,
        name="invoice-pdf",
    ),
    path(
        "t/<slug:tenant_slug>/billing/payments/",
        views_invoices.payment_history,
        name="payments",
    ),
    path("webhooks/tinkoff/", webhooks.tinkoff, name="webhook-tinkoff"),
    path("webhooks/yookassa/", webhooks.yookassa, name="webhook-yookassa"),
]
