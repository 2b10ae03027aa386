"""Dashboard routes of leads under /t/<tenant_slug>/ (the API lives in api_urls.py)."""

from django.urls import path

from apps.leads import (
    views,
    views_imports,
    views_keys,
    views_lists,
    views_widget,
    views_widget_site,
)

app_name = "leads"

t = "t/<slug:tenant_slug>/"
leads = f"{t}leads/"
lead = f"{leads}<int:lead_id>/"
imports = f"{leads}import/"

urlpatterns = [
    path(leads, views.lead_index, name="index"),
    path(f"{leads}bulk/", views.lead_bulk, name="bulk"),
    path(f"{leads}export/", views.lead_export, name="export"),
    path(lead, views.lead_detail, name="detail"),
    path(f"{lead}status/", views.lead_status, name="status"),
    path(f"{lead}assign/", views.lead_assign, name="assign"),
    path(f"{lead}move/", views.lead_move, name="move"),
    path(f"{lead}escalate/", views.lead_escalate, name="escalate"),
    path(f"{lead}notes/", views.lead_note, name="note"),
    path(f"{lead}delete/", views.lead_delete, name="delete"),
    path(f"{leads}lists/", views_lists.leadlist_list, name="lists"),
    path(f"{leads}lists/<int:list_id>/rename/", views_lists.leadlist_rename, name="list_rename"),
    path(f"{leads}lists/<int:list_id>/delete/", views_lists.leadlist_delete, name="list_delete"),
    path(imports, views_imports.import_upload, name="import"),
    path(f"{imports}<int:import_id>/", views_imports.import_job, name="import_job"),
    path(f"{imports}<int:import_id>/status/", views_imports.import_status, name="import_status"),
    path(f"{imports}<int:import_id>/report/", views_imports.import_report, name="import_report"),
    path(f"{t}settings/api-keys/", views_keys.api_keys, name="api_keys"),
    path(f"{t}settings/api-keys/new/", views_keys.api_key_create, name="api_key_create"),
    path(
        f"{t}settings/api-keys/<int:key_id>/revoke/",
        views_keys.api_key_revoke,
        name="api_key_revoke",
    ),
    path(f"{t}widget/", views_widget.widget, name="widget"),
    path(f"{t}widget/settings/", views_widget.widget_settings, name="widget_settings"),
    path(f"{t}widget/preview/", views_widget.widget_preview, name="widget_preview"),
    path(f"{t}widget/draft/", views_widget.widget_draft, name="widget_draft"),
    path(f"{t}widget/images/<str:kind>/", views_widget.widget_image, name="widget_image"),
    path(f"{t}widget/demo/", views_widget_site.widget_demo, name="widget_demo"),
    path(
        f"{t}widget/demo/status/", views_widget_site.widget_demo_status, name="widget_demo_status"
    ),
    path(
        f"{t}widget/origins/<int:attempt_id>/allow/",
        views_widget_site.origin_allow,
        name="widget_origin_allow",
    ),
    path(
        f"{t}widget/origins/<int:attempt_id>/dismiss/",
        views_widget_site.origin_dismiss,
        name="widget_origin_dismiss",
    ),
    path(f"{t}widget/rotate/", views_keys.widget_rotate, name="widget_rotate"),
]
