from django.urls import path

from apps.web import views

app_name = "web"

urlpatterns = [
    path("app/", views.home, name="home"),
    path("language/", views.set_language, name="set_language"),
    path("t/<slug:tenant_slug>/", views.overview, name="overview"),
]
