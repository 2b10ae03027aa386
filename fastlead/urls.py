from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from apps.accounts import views as accounts_views
from apps.core import api_docs, devmail_views, health, metrics
from apps.enrichment import urls as enrichment_urls
from apps.leads import urls as leads_urls

handler404 = "apps.core.api.json_not_found"
handler500 = "apps.core.api.json_server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="prometheus-django-metrics"),
    path("admin/", admin.site.urls),
    # allauth's sign-up without the company field for people who follow an invitation.
    path("accounts/signup/", accounts_views.signup, name="account_signup"),
    path("accounts/", include("allauth.urls")),
    # The embedded default's mailbox (404 unless settings.DEV_MAILBOX).
    path("dev/mail/", devmail_views.mail_list, name="dev-mail"),
    path("dev/mail/<str:mail_id>/", devmail_views.mail_detail, name="dev-mail-detail"),
    path("dev/mail/<str:mail_id>/html/", devmail_views.mail_html, name="dev-mail-html"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("fastlead.api_urls")),
    path("api/public/v1/", include("apps.leads.public_urls")),
    path("api/public/v1/", include("apps.booking.public_urls")),
    path("api/public/v1/", include("apps.messaging.public_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs.SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", api_docs.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("", include("apps.accounts.urls")),
    path("", include("apps.tenants.urls")),
    # AI enrichment's pages keep their `leads:` names: one namespace, two apps' patterns.
    path("", include((leads_urls.urlpatterns + enrichment_urls.urlpatterns, "leads"))),
    path("", include("apps.channels.urls")),
    path("", include("apps.messaging.urls")),
    path("", include("apps.messaging.rules.urls")),
    path("", include("apps.features.urls")),
    path("", include("apps.payments.urls")),
    path("", include("apps.billing.urls")),
    path("", include("apps.billing.stripe_urls")),
    path("webhooks/stripe/", include("djstripe.urls", namespace="djstripe")),
    path("webhooks/channels/", include("apps.messaging.webhook_urls")),
    path("", include("apps.payperlead.urls")),
    path("", include("apps.booking.urls")),
    path("", include("apps.integrations.urls")),
    path("", include("apps.upsell.urls")),
    path("", include("apps.upsell.webhook_urls")),
    path("", include("apps.hyropage.urls")),
    path("", include("apps.hyropage.public_urls")),
    path("", include("apps.privacy.urls")),
    path("", include("apps.site.urls")),
    path("", include("apps.analytics.urls")),
    path("", include("apps.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
