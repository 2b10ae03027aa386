"""/api/public/v1/ — the public widget API (no auth; CORS per tenant)."""

from django.urls import path

from apps.leads import public_api

urlpatterns = [
    path("widget-assets/<path:name>", public_api.widget_asset_file, name="public-widget-asset"),
    path("widget/<str:publishable_key>/", public_api.widget_config, name="public-widget-config"),
    path(
        "widget/<str:publishable_key>/leads/",
        public_api.widget_submit,
        name="public-widget-leads",
    ),
]
