"""Billing page, subscription half (HTMX): the plan-change preview and confirm, pause /
resume / cancel / re-activate, the billing history and the billing details form."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from apps.billing.models import BillingEvent, Plan
from apps.billing.selectors import subscription_current
from apps.billing.services import billing_account_ensure
from apps.billing.services import plan_changes as changes
from apps.billing.services import subscription_actions as actions
from apps.core.errors import ApplicationError
from apps.payments import gateways
from apps.tenants.dashboard import client_redirect, dashboard_view, form_add_error, is_admin
from apps.tenants.roles import Role

HISTORY_PER_PAGE = 10
PROVIDER_NAMES = {
    gateways.SANDBOX: gettext_lazy("Sandbox (test payments)"),
    gateways.YOOKASSA: gettext_lazy("YooKassa"),
    gateways.TINKOFF: gettext_lazy("T-Bank"),
}


class BillingAccountForm(forms.Form):
    rub_provider = forms.ChoiceField(label=gettext_lazy("RUB payments through"), required=False)
    legal_name = forms.CharField(label=gettext_lazy("Legal name"), required=False, max_length=300)
    tax_id = forms.CharField(label=gettext_lazy("INN or VAT number"), required=False, max_length=32)
    billing_address = forms.CharField(
        label=gettext_lazy("Billing address"), required=False, max_length=500
    )
    billing_email = forms.EmailField(label=gettext_lazy("Billing e-mail"), required=False)
    invoice_language = forms.ChoiceField(
        label=gettext_lazy("Invoice language"), choices=[("ru", "Русский"), ("en", "English")]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        providers = gateways.rub_providers()
        default = PROVIDER_NAMES.get(providers[0], providers[0])
        self.fields["rub_provider"].choices = [
            ("", _("Default (%(name)s)") % {"name": default}),
            *[(p, PROVIDER_NAMES.get(p, p)) for p in providers],
        ]


def _account_form(tenant, data=None) -> BillingAccountForm:
    account = billing_account_ensure(tenant)
    initial = {field: getattr(account, field) for field in actions.ACCOUNT_FIELDS}
    return BillingAccountForm(data=data, initial=initial)


def _history_events(request):
    return (
        BillingEvent.objects.for_tenant(request.tenant)
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )


def _history_page(request):
    return Paginator(_history_events(request), HISTORY_PER_PAGE).get_page(
        request.GET.get("history_page")
    )


@dataclass(frozen=True)
class _FirstPage:
    """The history's first page without a COUNT query (the billing page's fixed budget)."""

    object_list: list
    has_next: bool
    number: int = 1
    has_previous: bool = False
    next_page_number: int = 2

    @property
    def has_other_pages(self) -> bool:
        return self.has_next

    def __iter__(self):
        return iter(self.object_list)


def _history_first_page(request) -> _FirstPage:
    rows = list(_history_events(request)[: HISTORY_PER_PAGE + 1])
    return _FirstPage(rows[:HISTORY_PER_PAGE], has_next=len(rows) > HISTORY_PER_PAGE)


def subscription_panel_context(request) -> dict:
    """What the billing page needs from this half (history, details form)."""
    context = {"history_page": _history_first_page(request), "now": timezone.now()}
    if is_admin(request):
        context["account_form"] = _account_form(request.tenant)
    return context


def _overview_url(request) -> str:
    return reverse("billing:overview", kwargs={"tenant_slug": request.tenant.slug})


# --- plan change ------------------------------------------------------------------------------


def _plan_or_none(code: str) -> Plan | None:
    return Plan.objects.filter(code=code).first() if code else None


def _change_partial(request, *, status: int = 200, **context):
    return render(request, "billing/_plan_change.html", context, status=status)


@require_GET
@dashboard_view(Role.ADMIN)
def plan_change_preview(request, tenant_slug):
    """The preview of a change to `?plan=`: the amount and when it applies, with Confirm."""
    plan = _plan_or_none(request.GET.get("plan", ""))
    if plan is None:
        return _change_partial(request, status=400, error=_("Unknown plan."))
    try:
        preview = changes.plan_change_preview(request.tenant, plan)
    except ApplicationError as error:
        return _change_partial(request, status=error.status_code, error=error.message, plan=plan)
    return _change_partial(request, preview=preview)


@require_POST
@dashboard_view(Role.ADMIN)
def plan_change_confirm(request, tenant_slug):
    """Apply the previewed change; a moved price shows the new preview to confirm again."""
    plan = _plan_or_none(request.POST.get("plan", ""))
    try:
        expected = int(request.POST.get("expected_amount", ""))
    except ValueError:
        expected = None
    if plan is None or expected is None:
        return _change_partial(request, status=400, error=_("Choose a plan and preview it first."))
    try:
        result = changes.plan_change_confirm(
            tenant=request.tenant,
            new_plan=plan,
            expected_amount=expected,
            proration_date=parse_datetime(request.POST.get("proration_date", "")),
            actor=request.user,
            return_url=request.build_absolute_uri(_overview_url(request)),
        )
    except ApplicationError as error:
        return _change_failed(request, plan, error)
    if result.confirmation_url:
        return client_redirect(request, result.confirmation_url)
    messages.success(request, _outcome_message(result))
    return client_redirect(request, _overview_url(request))


def _change_failed(request, plan: Plan, error: ApplicationError):
    preview = None
    if error.code == "price_changed":
        try:
            preview = changes.plan_change_preview(request.tenant, plan)
        except ApplicationError:
            preview = None
    return _change_partial(
        request, status=error.status_code, error=error.message, preview=preview, plan=plan
    )


def _outcome_message(result) -> str:
    plan = result.subscription.plan
    if result.outcome == "downgrade_scheduled":
        return _("%(plan)s applies from the next period.") % {
            "plan": result.subscription.pending_plan.name
        }
    if result.outcome == "pending":
        return _("The payment is being processed; the plan changes when it succeeds.")
    return _("Your plan is now %(plan)s.") % {"plan": plan.name}


# --- subscription actions ---------------------------------------------------------------------

ACTIONS = {
    "pause": (actions.subscription_pause, {}, gettext_lazy("The subscription is paused.")),
    "resume": (actions.subscription_resume, {}, gettext_lazy("The subscription is active again.")),
    "cancel": (
        actions.subscription_cancel,
        {"at_period_end": True},
        gettext_lazy("The subscription ends with the current period."),
    ),
    "cancel-now": (
        actions.subscription_cancel,
        {"at_period_end": False},
        gettext_lazy("The subscription is canceled."),
    ),
    "reactivate": (
        actions.subscription_reactivate,
        {},
        gettext_lazy("The subscription is active again."),
    ),
    "keep-plan": (
        actions.subscription_pending_change_cancel,
        {},
        gettext_lazy("The scheduled plan change is canceled."),
    ),
}


@require_POST
@dashboard_view(Role.ADMIN)
def subscription_action(request, tenant_slug, action):
    """Pause, resume, cancel (at period end or now), re-activate or keep the plan."""
    if action not in ACTIONS:
        raise Http404
    service, options, done = ACTIONS[action]
    try:
        service(tenant=request.tenant, actor=request.user, **options)
    except ApplicationError as error:
        context = {
            "subscription": subscription_current(request.tenant),
            "can_manage": True,
            "action_error": error.message,
            "now": timezone.now(),
        }
        if not request.htmx:
            messages.error(request, error.message)
            return client_redirect(request, _overview_url(request))
        return render(
            request, "billing/_subscription_actions.html", context, status=error.status_code
        )
    messages.success(request, str(done))
    return client_redirect(request, _overview_url(request))


# --- history and details ----------------------------------------------------------------------


@require_GET
@dashboard_view()
def history(request, tenant_slug):
    """One page of the billing history (the table's pagination)."""
    return render(request, "billing/_history.html", {"history_page": _history_page(request)})


@require_POST
@dashboard_view(Role.ADMIN)
def account_update(request, tenant_slug):
    """Save the buyer details and the RUB provider choice."""
    form = BillingAccountForm(request.POST)
    context = {"account_form": form}
    status = 200
    if not form.is_valid():
        status = 400
    else:
        try:
            actions.billing_account_update(
                tenant=request.tenant, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as error:
            form_add_error(form, error)
            status = error.status_code
        else:
            context = {
                "account_form": _account_form(request.tenant),
                "account_notice": _("Billing details saved."),
            }
    if not request.htmx:
        if status == 200:
            messages.success(request, context["account_notice"])
        else:
            messages.error(request, _("Check the billing details."))
        return client_redirect(request, _overview_url(request))
    return render(request, "billing/_account_details.html", context, status=status)
