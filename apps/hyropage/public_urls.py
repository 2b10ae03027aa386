"""The public HyroPage pages: /p/<tenant_slug>/<page_slug>/ (no login)."""

from django.urls import path

from apps.hyropage import public

urlpatterns = [
    path("p/<slug:tenant_slug>/<slug:page_slug>/", public.page_public, name="hyropage-public"),
]
