"""Dashboard routes of channels under /t/<tenant_slug>/channels/."""

from django.urls import path

from apps.channels import views

app_name = "channels"

base = "t/<slug:tenant_slug>/channels/"
channel = f"{base}<int:channel_id>/"

urlpatterns = [
    path(base, views.channel_index, name="index"),
    path(f"{base}new/", views.channel_create, name="create"),
    path(f"{channel}edit/", views.channel_edit, name="edit"),
    path(f"{channel}test/", views.channel_test, name="test"),
    path(f"{channel}toggle/", views.channel_toggle, name="toggle"),
    path(f"{channel}delete/", views.channel_delete, name="delete"),
]
