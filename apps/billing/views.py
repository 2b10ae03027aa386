"""The billing page (plan, access, usage, plans on sale, payments) and the payment flow."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.billing import selectors, services
from apps.billing.models import Plan, PlanStatus
from apps.billing.plan_limits import plan_limits_for_request
from apps.billing.selectors_usage import usage_charge_list
from apps.billing.views_subscription import subscription_panel_context
from apps.core.errors import ApplicationError
from apps.core.release_flags import flag_active
from apps.payments import gateways
from apps.payments.models import Payment, PaymentStatus
from apps.payments.services.payments import payment_refresh, payment_sandbox_complete
from apps.tenants.dashboard import dashboard_view, is_admin
from apps.tenants.roles import Role

DEFAULT_CURRENCY = "RUB"


def _context(request, **extra) -> dict:
    tenant = request.tenant
    limits = plan_limits_for_request(request)
    context = {
        "subscription": selectors.subscription_current(tenant),
        "usage": selectors.usage_current(tenant, limits),
        "meters": selectors.meter_history_closed(tenant),
        "payments": list(selectors.payment_list(tenant)),
        "usage_charges": usage_charge_list(tenant),
        "can_manage": is_admin(request),
        "show_plans": flag_active(request, "new_billing"),
        "providers": gateways.rub_providers(),
        **extra,
    }
    if context["show_plans"]:
        # Only the plans of the company's currency (a RUB company is not offered EUR plans).
        currency = limits.currency or DEFAULT_CURRENCY
        context["plans"] = [
            p for p in selectors.plan_list_public() if not p.is_trial and p.currency == currency
        ]
    context.update(subscription_panel_context(request))  # history, billing details
    return context


@dashboard_view()
def overview(request, tenant_slug):
    """The billing page; back from a provider's page (`?payment=<id>`), it first asks the
    provider for that payment's status."""
    returned = request.GET.get("payment")
    if returned:
        try:
            payment = selectors.payment_get(request.tenant, returned)
        except (Payment.DoesNotExist, ValidationError):
            payment = None
        if payment is not None:
            payment = payment_refresh(payment)
            _flash_outcome(request, payment)
    return render(request, "billing/overview.html", _context(request))


def _flash_outcome(request, payment: Payment) -> None:
    """Back from the provider's page: say how it went (a decline with the bank's reason)."""
    if payment.status == PaymentStatus.SUCCEEDED:
        messages.success(request, _("Payment received: the plan is active."))
    elif payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
        messages.error(
            request,
            _("The payment did not go through: %(reason)s")
            % {"reason": payment.failure_reason or _("The payment was not completed.")},
        )
    elif payment.status == PaymentStatus.PENDING:
        messages.info(request, _("The payment is being processed; this page will show it."))


@require_POST
@dashboard_view(Role.ADMIN)
def pay(request, tenant_slug):
    """Start paying for a plan; off to the provider's page or the sandbox test-card page.
    A provider that is down re-renders the page offering the other one."""
    plan = Plan.objects.filter(code=request.POST.get("plan", ""), status=PlanStatus.ACTIVE).first()
    if plan is None:
        messages.error(request, _("This plan is not on sale."))
        return redirect("billing:overview", tenant_slug=tenant_slug)
    back = request.build_absolute_uri(reverse("billing:overview", args=[tenant_slug]))
    try:
        payment = services.payment_start(
            tenant=request.tenant,
            plan=plan,
            actor=request.user,
            provider=request.POST.get("provider") or None,
            return_url=back,
        )
    except services.ProviderUnavailable as exc:
        retry = {"plan": plan, "alternatives": exc.extra.get("alternatives", [])}
        context = _context(request, error=exc.message, retry=retry)
        return render(request, "billing/overview.html", context, status=503)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("billing:overview", tenant_slug=tenant_slug)
    return redirect(payment.confirmation_url)


@require_POST
@dashboard_view(Role.ADMIN)
def pay_overdue(request, tenant_slug):
    """Dunning's "Pay now": pay the overdue period by hand (e.g. with another card), off to
    the provider's page or the sandbox test-card page."""
    back = request.build_absolute_uri(reverse("billing:overview", args=[tenant_slug]))
    try:
        payment = services.dunning_pay_now(
            tenant=request.tenant, actor=request.user, return_url=back
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("billing:overview", tenant_slug=tenant_slug)
    return redirect(payment.confirmation_url)


def _payment_or_404(request, payment_id) -> Payment:
    try:
        return selectors.payment_get(request.tenant, payment_id)
    except Payment.DoesNotExist as exc:
        raise Http404 from exc


@dashboard_view(Role.ADMIN)
def sandbox_page(request, tenant_slug, payment_id):
    """The sandbox's test-card page: Approve or Decline completes the payment offline."""
    payment = _payment_or_404(request, payment_id)
    if payment.provider != gateways.SANDBOX:
        raise Http404
    if request.method == "POST" and payment.status == PaymentStatus.PENDING:
        action = request.POST.get("action")
        payment = payment_sandbox_complete(
            payment=payment,
            approve=action in ("approve", "approve_decline_later"),
            decline_later=action == "approve_decline_later",
        )
        if payment.status == PaymentStatus.SUCCEEDED:
            messages.success(request, _("Test payment approved: the plan is active."))
        else:
            messages.error(request, payment.failure_reason)
        return redirect("billing:overview", tenant_slug=tenant_slug)
    return render(request, "billing/sandbox.html", {"payment": payment})
