"""/api/public/v1/ — the widget's web chat (no auth; CORS per tenant)."""

from django.urls import path

from apps.messaging import webchat_api

urlpatterns = [
    path("widget/<str:publishable_key>/chat/", webchat_api.widget_chat, name="public-widget-chat"),
]
