from django.urls import path

from apps.analytics import views

app_name = "analytics"

urlpatterns = [
    path("t/<slug:tenant_slug>/analytics/", views.index, name="index"),
    path(
        "t/<slug:tenant_slug>/analytics/export/<slug:table>.<str:fmt>",
        views.export,
        name="export",
    ),
    path("reports/unsubscribe/<str:token>/", views.opt_out, name="opt_out"),
]
