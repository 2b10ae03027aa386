"""The public HyroPage pages: /p/<company_slug>/<page_slug>/ (no login). Not `tenant_slug`:
that name makes the tenant middleware treat the URL as a dashboard page for members."""

from django.urls import path

from apps.hyropage import public

urlpatterns = [
    path("p/<slug:company_slug>/<slug:page_slug>/", public.page_public, name="hyropage-public"),
]
