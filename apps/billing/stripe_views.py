"""The Stripe customer portal button of the billing page: a portal session, then off to it."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.billing.models import LIVE_STATUSES, Subscription
from apps.core.errors import ProviderError
from apps.payments import gateways
from apps.payments.gateways import PortalRequest
from apps.tenants.dashboard import dashboard_view
from apps.tenants.roles import Role


def portal_subscription(tenant) -> Subscription | None:
    """The tenant's live subscription at a provider with a customer portal, if any."""
    return (
        Subscription.objects.for_tenant(tenant)
        .filter(
            provider__in=gateways.providers_with(has_customer_portal=True),
            status__in=LIVE_STATUSES,
        )
        .exclude(payment_method_id="")
        .order_by("-created_at")
        .first()
    )


@require_POST
@dashboard_view(Role.ADMIN)
def portal(request, tenant_slug):
    """Open Stripe's customer portal (payment method, invoices, cancellation) for the
    company's Stripe subscription; it sends the user back to the billing page."""
    overview = reverse("billing:overview", kwargs={"tenant_slug": tenant_slug})
    subscription = portal_subscription(request.tenant)
    if subscription is None or not gateways.provider_configured(subscription.provider):
        messages.error(request, _("The company has no Stripe subscription."))
        return redirect(overview)
    try:
        url = gateways.get_gateway(subscription.provider).customer_portal_url(
            PortalRequest(
                customer_id=subscription.payment_method_id,
                return_url=request.build_absolute_uri(overview),
            )
        )
    except ProviderError as exc:
        messages.error(request, exc.user_message)
        return redirect(overview)
    return redirect(url)
