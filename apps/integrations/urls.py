"""Dashboard routes of the webhooks under /t/<tenant_slug>/webhooks/."""

from django.urls import path

from apps.integrations import views
from apps.integrations.crm import views as crm_views

app_name = "integrations"

base = "t/<slug:tenant_slug>/webhooks/"
endpoint = f"{base}<int:endpoint_id>/"
crm = "t/<slug:tenant_slug>/crm/"

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
    # CRM sync (apps/integrations/crm)
    path(crm, crm_views.crm_index, name="crm"),
    path(f"{crm}amocrm/", crm_views.crm_amocrm_connect, name="crm-amocrm-connect"),
    path(f"{crm}bitrix24/", crm_views.crm_bitrix24_connect, name="crm-bitrix24-connect"),
    path(f"{crm}bitrix24/token/", crm_views.crm_bitrix24_token, name="crm-bitrix24-token"),
    path(f"{crm}pipeline/", crm_views.crm_pipeline, name="crm-pipeline"),
    path(f"{crm}statuses/", crm_views.crm_statuses, name="crm-statuses"),
    path(f"{crm}fields/", crm_views.crm_fields, name="crm-fields"),
    path(f"{crm}disconnect/", crm_views.crm_disconnect, name="crm-disconnect"),
    path(f"{crm}log/", crm_views.crm_log, name="crm-log"),
    path(f"{crm}backfill/", crm_views.crm_backfill, name="crm-backfill"),
    path(f"{crm}jobs/<int:job_id>/retry/", crm_views.crm_job_retry, name="crm-retry"),
    path("crm/amocrm/callback/", crm_views.crm_amocrm_callback, name="crm-amocrm-callback"),
    path("webhooks/crm/amocrm/<str:token>/", crm_views.amocrm_webhook, name="crm-amocrm-webhook"),
    path(
        "webhooks/crm/bitrix24/<str:token>/",
        crm_views.bitrix24_webhook,
        name="crm-bitrix24-webhook",
    ),
]
