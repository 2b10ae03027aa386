"""Dashboard routes of the webhooks under /t/<tenant_slug>/webhooks/."""

from django.urls import path

from apps.integrations import views

app_name = "integrations"

base = "t/<slug:tenant_slug>/webhooks/"
endpoint = f"{base}<int:endpoint_id>/"

urlpatterns = [
    path(base, views.endpoint_index, name="index"),
    path(f"{base}new/", views.endpoint_create, name="create"),
    path(f"{base}signatures/", views.webhook_docs, name="docs"),
    path(endpoint, views.endpoint_detail, name="detail"),
    path(f"{endpoint}log/", views.endpoint_log, name="log"),
    path(f"{endpoint}test/", views.endpoint_test, name="test"),
    path(f"{endpoint}toggle/", views.endpoint_toggle, name="toggle"),
    path(f"{endpoint}delete/", views.endpoint_delete, name="delete"),
    path(f"{base}deliveries/<int:delivery_id>/resend/", views.delivery_resend, name="resend"),
]
