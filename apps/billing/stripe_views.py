"""The Stripe customer portal button of the billing page: a portal session, then off to it."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.billing import gateways
from apps.billing.gateways import ProviderError
from apps.billing.models import LIVE_STATUSES, Subscription
from apps.tenants.dashboard import dashboard_view
from apps.tenants.roles import Role


def stripe_customer_id(tenant) -> str:
    """The Stripe customer of the tenant's live Stripe subscription ("" if none)."""
    subscription = (
        Subscription.objects.for_tenant(tenant)
        .filter(provider=gateways.STRIPE, status__in=LIVE_STATUSES)
        .exclude(payment_method_id="")
        .order_by("-created_at")
        .first()
    )
    return subscription.payment_method_id if subscription is not None else ""


@require_POST
@dashboard_view(Role.ADMIN)
def portal(request, tenant_slug):
    """Open Stripe's customer portal (payment method, invoices, cancellation) for the
    company's Stripe subscription; it sends the user back to the billing page."""
    overview = reverse("billing:overview", kwargs={"tenant_slug": tenant_slug})
    customer_id = stripe_customer_id(request.tenant)
    if not customer_id or not gateways.provider_configured(gateways.STRIPE):
        messages.error(request, _("The company has no Stripe subscription."))
        return redirect(overview)
    try:
        url = gateways.get_gateway(gateways.STRIPE).customer_portal_url(
            customer_id, request.build_absolute_uri(overview)
        )
    except ProviderError as exc:
        messages.error(request, exc.user_message)
        return redirect(overview)
    return redirect(url)
