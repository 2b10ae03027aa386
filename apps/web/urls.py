from django.urls import path

from apps.web import views, views_onboarding

app_name = "web"

urlpatterns = [
    path("app/", views.home, name="home"),
    path("language/", views.set_language, name="set_language"),
    path("t/<slug:tenant_slug>/", views.overview, name="overview"),
    path("t/<slug:tenant_slug>/welcome/", views_onboarding.onboarding_start, name="onboarding"),
    path(
        "t/<slug:tenant_slug>/welcome/<slug:step>/",
        views_onboarding.onboarding_step,
        name="onboarding_step",
    ),
    path("t/<slug:tenant_slug>/tour/done/", views_onboarding.tour_done, name="tour_done"),
]
