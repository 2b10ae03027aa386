"""Dashboard routes of booking under /t/<tenant_slug>/booking/, and Cal.com's webhook."""

from django.urls import path

from apps.booking import views, webhooks

app_name = "booking"

base = "t/<slug:tenant_slug>/booking/"

urlpatterns = [
    path(base, views.booking_index, name="index"),
    path(f"{base}settings/", views.booking_settings_update, name="settings"),
    path(f"{base}settings/test/", views.booking_settings_test, name="test"),
    path(f"{base}<int:booking_id>/cancel/", views.booking_cancel, name="cancel"),
    path("webhooks/calcom/<str:token>/", webhooks.calcom_webhook, name="calcom-webhook"),
]
