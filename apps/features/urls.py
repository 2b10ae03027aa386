from django.urls import path

from apps.features import views

app_name = "features"

urlpatterns = [
    path("t/<slug:tenant_slug>/modules/", views.modules, name="modules"),
]
