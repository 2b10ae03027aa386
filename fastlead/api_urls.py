"""/api/v1 routes, one include per app."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.accounts.api_urls")),
    path("", include("apps.tenants.api_urls")),
    path("", include("apps.leads.api_urls")),
    path("", include("apps.channels.api_urls")),
    path("", include("apps.messaging.api_urls")),
    path("", include("apps.messaging.rules.api_urls")),
    path("", include("apps.enrichment.api_urls")),
    path("", include("apps.features.api_urls")),
    path("", include("apps.billing.api_urls")),
    path("", include("apps.payperlead.api_urls")),
    path("", include("apps.booking.api_urls")),
    path("", include("apps.analytics.api_urls")),
    path("", include("apps.integrations.api_urls")),
    path("", include("apps.upsell.api_urls")),
    path("", include("apps.hyropage.api_urls")),
    path("", include("apps.privacy.api_urls")),
]
