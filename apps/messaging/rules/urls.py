"""Dashboard routes of the follow-up rules under /t/<tenant_slug>/rules/."""

from django.urls import path

from apps.messaging.rules import views

app_name = "messaging_rules"

base = "t/<slug:tenant_slug>/rules/"
rule = f"{base}<int:rule_id>/"

urlpatterns = [
    path(base, views.rule_index, name="index"),
    path(f"{base}packs/<slug:pack_key>/install/", views.pack_install_view, name="pack-install"),
    path(f"{base}new/", views.rule_edit, name="create"),
    path(f"{rule}", views.rule_edit, name="edit"),
    path(f"{rule}toggle/", views.rule_toggle, name="toggle"),
    path(f"{base}try/", views.rule_try, name="try"),
    path(f"{base}templates/", views.template_index, name="templates"),
    path(f"{base}templates/new/", views.template_edit, name="template-create"),
    path(f"{base}templates/<int:template_id>/", views.template_edit, name="template-edit"),
    path(f"{base}templates/preview/", views.template_preview, name="template-preview"),
    path("t/<slug:tenant_slug>/leads/<int:lead_id>/why/", views.lead_audit, name="lead-audit"),
]
