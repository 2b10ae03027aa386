from django.urls import path

from apps.features import api

urlpatterns = [
    path("tenants/<str:tenant_id>/features/", api.FeaturesAPI.as_view(), name="api-features"),
]
