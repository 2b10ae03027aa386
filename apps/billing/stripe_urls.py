from django.urls import path

from apps.billing import stripe_views

app_name = "billing_stripe"

urlpatterns = [
    path("t/<slug:tenant_slug>/billing/stripe/portal/", stripe_views.portal, name="portal"),
]
