from django.urls import path

from apps.billing import views, webhooks

app_name = "billing"

urlpatterns = [
    path("t/<slug:tenant_slug>/billing/", views.overview, name="overview"),
    path("t/<slug:tenant_slug>/billing/pay/", views.pay, name="pay"),
    path(
        "t/<slug:tenant_slug>/billing/sandbox/<uuid:payment_id>/",
        views.sandbox_page,
        name="sandbox",
    ),
    path("webhooks/tinkoff/", webhooks.tinkoff, name="webhook-tinkoff"),
    path("webhooks/yookassa/", webhooks.yookassa, name="webhook-yookassa"),
]
