"""Dashboard routes of pay-per-lead reports under /t/<tenant_slug>/billing/reports/."""

from django.urls import path

from apps.payperlead import views

app_name = "payperlead"

reports = "t/<slug:tenant_slug>/billing/reports/"

urlpatterns = [
    path(reports, views.report_index, name="reports"),
    path(f"{reports}lines/", views.report_lead_lines, name="lead_lines"),
    path(f"{reports}download/", views.report_download, name="download"),
    path(f"{reports}close/", views.report_close, name="close"),
]
