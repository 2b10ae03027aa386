"""Dashboard pages of upsell radar: the cases (a tenant admin approves or rejects its own),
settings, the product catalogue and the helpdesk webhook's secret (shown once)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError
from apps.core.money import Money
from apps.features.guards import feature_enabled, feature_required
from apps.tenants.dashboard import dashboard_view, is_admin
from apps.tenants.roles import Role
from apps.upsell import selectors
from apps.upsell.forms import (
    CaseDraftForm,
    CatalogueItemForm,
    RejectForm,
    UpsellSettingsForm,
    WonForm,
)
from apps.upsell.models import CaseStatus
from apps.upsell.services.configuration import (
    catalogue_add,
    catalogue_remove,
    upsell_settings_get,
    upsell_settings_save,
    webhook_secret_rotate,
)
from apps.upsell.services.decisions import case_approve, case_reject
from apps.upsell.services.won import case_mark_won
from apps.upsell.transitions import WON_FROM

TOOL = "upsell"


def _index_url(request) -> str:
    return reverse("upsell:index", kwargs={"tenant_slug": request.tenant.slug})


def webhook_url(row) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "upsell-helpdesk-webhook", args=[row.webhook_token]
    )


@dashboard_view(Role.OPERATOR)
def upsell_index(request, tenant_slug):
    if not feature_enabled(request.tenant, TOOL):
        return render(request, "upsell/index.html", {"locked": True})
    status = request.GET.get("status", "")
    status = status if status in CaseStatus.values else ""
    row = upsell_settings_get(request.tenant)
    admin = is_admin(request)
    context = {
        "cases": selectors.case_list(request.tenant, status=status)[:200],
        "status": status,
        "statuses": CaseStatus.choices,
        "admin": admin,
        "settings_form": UpsellSettingsForm(instance=row) if admin else None,
        "catalogue": selectors.catalogue(request.tenant),
        "catalogue_form": CatalogueItemForm() if admin else None,
        "webhook_url": webhook_url(row) if admin else "",
        "has_secret": bool(row.webhook_secret_encrypted),
        "new_secret": request.session.pop("upsell_new_secret", ""),
        "funnel": selectors.funnel(request.tenant),
        "won_from": WON_FROM,
    }
    return render(request, "upsell/index.html", context)


@dashboard_view(Role.OPERATOR)
@feature_required(TOOL)
def upsell_case(request, tenant_slug, case_id):
    case = selectors.case_get(request.tenant, case_id)
    return _case_page(request, case, _draft_form(case), RejectForm())


def _draft_form(case) -> CaseDraftForm:
    fields = ("email_subject", "email_body", "call_script")
    return CaseDraftForm(initial={name: getattr(case, name) for name in fields})


def _won_form(request, case) -> WonForm:
    item = selectors.catalogue_item_for_case(request.tenant, case)
    if item is None or item.price_amount is None or not item.currency:
        return WonForm()
    price = Money(item.price_amount, item.currency)
    return WonForm(initial={"amount": price.to_decimal(), "currency": price.currency})


def _case_page(request, case, form, reject_form, status: int = 200, won_form=None):
    admin = is_admin(request)
    can_win = admin and case.status in WON_FROM
    context = {
        "case": case,
        "form": form,
        "reject_form": reject_form,
        "can_decide": admin and case.status == CaseStatus.AWAITING_APPROVAL,
        "won_form": (won_form or _won_form(request, case)) if can_win else None,
        "history": list(case.history.select_related("actor")),
    }
    return render(request, "upsell/case.html", context, status=status)


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def upsell_case_decide(request, tenant_slug, case_id):
    case = selectors.case_get(request.tenant, case_id)
    form, reject_form = CaseDraftForm(request.POST), RejectForm()
    try:
        if request.POST.get("decision") == "reject":
            reject_form = RejectForm(request.POST)
            if not reject_form.is_valid():
                return _case_page(request, case, CaseDraftForm(request.POST), reject_form, 400)
            case_reject(
                case, actor=request.user, via="dashboard", reason=reject_form.cleaned_data["reason"]
            )
            messages.success(request, _("Case rejected."))
        else:
            if not form.is_valid():
                return _case_page(request, case, form, reject_form, 400)
            case_approve(case, actor=request.user, via="dashboard", **form.cleaned_data)
            messages.success(request, _("Approved: the e-mail and the call are on their way."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(reverse("upsell:case", args=[request.tenant.slug, case.pk]))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def upsell_case_won(request, tenant_slug, case_id):
    """Mark a case won (the same transition table and role as approval); a case that cannot
    be won yet stays as it is, with the reason on the page."""
    case = selectors.case_get(request.tenant, case_id)
    form = WonForm(request.POST)
    if not form.is_valid():
        return _case_page(request, case, _draft_form(case), RejectForm(), 400, won_form=form)
    try:
        case_mark_won(case, actor=request.user, via="dashboard", **form.money())
        messages.success(request, _("Marked won: the lead is won too."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(reverse("upsell:case", args=[request.tenant.slug, case.pk]))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def upsell_settings(request, tenant_slug):
    row = upsell_settings_get(request.tenant)
    form = UpsellSettingsForm(request.POST, instance=row)
    if form.is_valid():
        upsell_settings_save(
            request.tenant,
            threshold=form.cleaned_data["threshold"],
            auto_approve_threshold=form.cleaned_data["auto_approve_threshold"],
        )
        messages.success(request, _("Settings saved."))
    else:
        messages.error(request, _("Check the thresholds: each is a number between 0 and 1."))
    return redirect(_index_url(request))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def upsell_catalogue_add(request, tenant_slug):
    form = CatalogueItemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name the product."))
        return redirect(_index_url(request))
    try:
        catalogue_add(request.tenant, **form.cleaned_data)
        messages.success(request, _("Added to the catalogue."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect(_index_url(request))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def upsell_catalogue_remove(request, tenant_slug, item_id):
    catalogue_remove(request.tenant, item_id)
    return redirect(_index_url(request))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def upsell_secret_rotate(request, tenant_slug):
    request.session["upsell_new_secret"] = webhook_secret_rotate(request.tenant)
    return redirect(_index_url(request))
