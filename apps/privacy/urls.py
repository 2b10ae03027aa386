"""Dashboard routes of the privacy pages under /t/<tenant_slug>/privacy/ and the lead page's
personal-data actions under /t/<tenant_slug>/leads/<lead_id>/."""

from django.urls import path

from apps.privacy import views

app_name = "privacy"

base = "t/<slug:tenant_slug>/privacy/"
lead = "t/<slug:tenant_slug>/leads/<int:lead_id>/"

urlpatterns = [
    path(base, views.privacy_index, name="index"),
    path(f"{base}retention/", views.retention_update, name="retention"),
    path(f"{base}export/", views.export_start, name="export"),
    path(f"{base}exports/", views.export_list, name="exports"),
    path(
        f"{base}export/<int:company_export_id>/download/",
        views.export_download,
        name="export_download",
    ),
    path(f"{base}close/", views.company_close, name="close"),
    path(f"{lead}personal-data/", views.lead_export, name="lead_export"),
    path(f"{lead}erase/", views.lead_erase, name="lead_erase"),
    path(f"{lead}consent/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("account/personal-data/", views.my_data_export, name="my_data"),
]
