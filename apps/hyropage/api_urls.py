"""/api/v1/tenants/{tenant_id}/hyropages/."""

from django.urls import path

from apps.hyropage import api

base = "tenants/<str:tenant_id>/hyropages/"

urlpatterns = [
    path(base, api.PageCollectionAPI.as_view(), name="api-hyropages"),
    path(f"{base}<int:page_id>/", api.PageDetailAPI.as_view(), name="api-hyropage"),
    path(
        f"{base}<int:page_id>/publish/", api.PagePublishAPI.as_view(), name="api-hyropage-publish"
    ),
]
