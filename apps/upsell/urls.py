"""Dashboard routes under /t/<tenant_slug>/upsell/."""

from django.urls import path

from apps.upsell import views

app_name = "upsell"

base = "t/<slug:tenant_slug>/upsell/"

urlpatterns = [
    path(base, views.upsell_index, name="index"),
    path(f"{base}<int:case_id>/", views.upsell_case, name="case"),
    path(f"{base}<int:case_id>/decide/", views.upsell_case_decide, name="decide"),
    path(f"{base}<int:case_id>/won/", views.upsell_case_won, name="won"),
    path(f"{base}settings/", views.upsell_settings, name="settings"),
    path(f"{base}catalogue/", views.upsell_catalogue_add, name="catalogue_add"),
    path(
        f"{base}catalogue/<int:item_id>/delete/",
        views.upsell_catalogue_remove,
        name="catalogue_remove",
    ),
    path(f"{base}secret/", views.upsell_secret_rotate, name="secret"),
]
