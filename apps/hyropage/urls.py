"""Dashboard routes of HyroPage under /t/<tenant_slug>/pages/."""

from django.urls import path

from apps.hyropage import views

app_name = "hyropage"

base = "t/<slug:tenant_slug>/pages/"
page = f"{base}<int:page_id>/"

urlpatterns = [
    path(base, views.page_index, name="index"),
    path(f"{base}new/", views.page_create, name="create"),
    path(page, views.page_edit, name="edit"),
    path(f"{page}status/", views.page_status, name="status"),
    path(f"{page}save/", views.page_save, name="save"),
    path(f"{page}preview/", views.page_preview, name="preview"),
    path(f"{page}publish/", views.page_publish, name="publish"),
    path(f"{page}unpublish/", views.page_unpublish, name="unpublish"),
    path(f"{page}regenerate/", views.page_regenerate, name="regenerate"),
    path(f"{page}versions/<int:number>/restore/", views.version_restore, name="restore"),
]
