"""Provider webhooks (the paths providers were given: they never change)."""

from django.urls import path

from apps.payments import webhooks

app_name = "payments"

urlpatterns = [
    path("webhooks/tinkoff/", webhooks.tinkoff, name="webhook-tinkoff"),
    path("webhooks/yookassa/", webhooks.yookassa, name="webhook-yookassa"),
]
