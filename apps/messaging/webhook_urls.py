"""Provider callbacks: /webhooks/channels/<kind>/<channel_token>/ (inbound and statuses)."""

from django.urls import path

from apps.messaging import webhooks

app_name = "messaging_webhooks"

urlpatterns = [
    path("<slug:kind>/<str:token>/", webhooks.channel_webhook, name="channel"),
]
