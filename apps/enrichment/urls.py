"""Dashboard routes of AI enrichment under /t/<tenant_slug>/leads/enrichment/.

They keep their names in the `leads` namespace (`leads:enrichment_run`, …), which templates and
links have always used: fastlead/urls.py serves these patterns together with apps.leads.urls
under that one namespace, so leads itself never imports enrichment.
"""

from django.urls import path

from apps.enrichment import views

enrichment = "t/<slug:tenant_slug>/leads/enrichment/"

urlpatterns = [
    path(enrichment, views.enrichment_runs, name="enrichment_runs"),
    path(f"{enrichment}new/", views.enrichment_confirm, name="enrichment_confirm"),
    path(f"{enrichment}start/", views.enrichment_start, name="enrichment_start"),
    path(f"{enrichment}<uuid:run_id>/", views.enrichment_run, name="enrichment_run"),
]
