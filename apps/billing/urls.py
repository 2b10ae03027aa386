from django.urls import path

from apps.billing import views

app_name = "billing"

urlpatterns = [
    path("t/<slug:tenant_slug>/billing/", views.overview, name="overview"),
]
