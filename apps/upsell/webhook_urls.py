"""Webhooks in (outside any namespace): helpdesks and HYROCALL post here."""

from django.urls import path

from apps.upsell import webhooks

urlpatterns = [
    path(
        "webhooks/helpdesk/<str:token>/",
        webhooks.helpdesk_webhook,
        name="upsell-helpdesk-webhook",
    ),
    path("webhooks/hyrocall/", webhooks.hyrocall_webhook, name="upsell-hyrocall-webhook"),
]
