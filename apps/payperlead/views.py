"""Dashboard: /t/<slug>/billing/reports/ — pick a month and a customer; every customer's
totals, or one customer's report with its products and its leads, each lead opening onto its
actions with what was billed, what was saved and why. CSV and PDF downloads; administrators
close a finished month."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, NotFound
from apps.payperlead import exports, presenters, reports, selectors, tasks
from apps.payperlead.forms import (
    ReportPickForm,
    parse_format,
    parse_optional_id,
    parse_period,
    resolve_customer,
)
from apps.payperlead.models import month_bounds, month_start
from apps.payperlead.periods import months_with_actions
from apps.tenants.dashboard import client_redirect, dashboard_view, is_admin
from apps.tenants.roles import Role

LEADS_PER_PAGE = 20
INDEX = "payperlead/reports/index.html"
REPORT_PARTIAL = "payperlead/reports/_report.html"
LEAD_LINES_PAGE = "payperlead/reports/lead_lines.html"
LEAD_LINES_PARTIAL = "payperlead/reports/_lead_lines.html"


def _months(tenant) -> list[date]:
    """The picker's months: those with data, and the current one."""
    months = set(months_with_actions(tenant)) | {month_start(timezone.now())}
    return sorted(months, reverse=True)


def _pick(request, months):
    """(period, customer) from the query; the last month with activity by default."""
    raw = request.GET.get("period")
    if raw:
        try:
            period = parse_period(raw)
        except ApplicationError:
            raise Http404 from None
    else:
        with_data = months_with_actions(request.tenant)
        period = with_data[-1] if with_data else months[0]
    try:
        customer = resolve_customer(request.tenant, request.GET.get("customer"))
    except NotFound:
        raise Http404 from None
    return period, customer


def _query(period, customer=None, **extra) -> str:
    params = {"period": f"{period:%Y-%m}", **extra}
    if customer is not None:
        params["customer"] = customer.external_ref
    return urlencode(params)


@dashboard_view(Role.ANALYST)
def report_index(request, tenant_slug):
    tenant = request.tenant
    months = _months(tenant)
    period, customer = _pick(request, months)
    if period not in months:
        months = sorted([*months, period], reverse=True)
    form = ReportPickForm(
        initial={
            "period": f"{period:%Y-%m}",
            "customer": customer.external_ref if customer else "",
        },
        months=months,
        customers=selectors.customer_list(tenant),
    )
    context = {
        "form": form,
        "period": period,
        "customer": customer,
        "is_closed": selectors.period_is_closed(tenant, period),
        "can_close": is_admin(request) and month_bounds(period)[1] <= timezone.now(),
        "query": _query(period, customer),
    }
    status = 200
    try:
        context.update(_report_context(request, period, customer))
    except ApplicationError as exc:
        context["error"], status = exc.message, exc.status_code
    template = REPORT_PARTIAL if request.htmx and request.htmx.target == "report" else INDEX
    return render(request, template, context, status=status)


def _report_context(request, period, customer) -> dict:
    """What the stored reports say (a GET reads, never values: reports.py)."""
    tenant = request.tenant
    freshness = reports.freshness(tenant, period)
    freshness.check()
    fresh = {"freshness": freshness}
    if customer is None:
        every = reports.reports_read(tenant, period)
        overall = presenters.overall_json(period, every)
        return {
            **fresh,
            "rows": [_customer_row(tenant, period, report) for report in every],
            "overall": [presenters.amounts(t, t["currency"]) for t in overall["totals"]],
            "currencies": sorted({t["currency"] for t in overall["totals"]}),
        }
    report = reports.report_read(tenant, customer, period, lines=False)
    currency = report.record.currency
    groups = selectors.lead_groups(report.record) if report.record.pk else []
    page = Paginator(groups, LEADS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = [_lead_group(totals, report, period) for totals in page.object_list]
    return {
        "report": report,
        "record": report.record,
        "totals": presenters.amounts(presenters.totals_of(report.record), currency),
        "adjustments": presenters.amounts(report.record.adjustments or {}, currency),
        "products": [
            {
                "ref": item["product_ref"],
                "name": item["product_name"],
                **presenters.amounts(presenters.product_totals(item), currency),
            }
            for item in report.record.products
        ],
        "page": page,
        "currencies": [currency],
        **fresh,
    }


def _lead_group(totals: dict, report, period) -> presenters.LeadGroup:
    """A lead of the page with its sums; its lines load when it is opened (report_lead_lines)."""
    label = totals["label"]  # the label computed in SQL for the order; None: a deleted lead
    group = presenters.LeadGroup(
        totals["lead_id"],
        None if label is None else SimpleNamespace(name=label, external_id=""),
        totals["product_id"],
        totals["lead_type"],
        gross=totals["gross"],
        billed=totals["billed"],
        savings=totals["savings"],
    )
    product = report.products.get(group.product_id)
    group.product_ref = product.external_ref if product else ""
    group.amounts = presenters.amounts(
        {"gross": group.gross, "billed": group.billed, "savings": group.savings},
        report.record.currency,
    )
    group.lines_count = totals["lines"]
    group.lines_url = _lead_lines_url(report.record.tenant, period, report.customer, group)
    return group


@dashboard_view(Role.ANALYST)
def report_lead_lines(request, tenant_slug):
    """One lead's actions in a customer's report: what the drill-down loads when a lead is
    opened (htmx), or a page of its own without JavaScript."""
    tenant = request.tenant
    try:
        period = parse_period(request.GET.get("period"))
        customer = resolve_customer(tenant, request.GET.get("customer"))
        product_id = parse_optional_id(request.GET.get("product"))
        lead_id = parse_optional_id(request.GET.get("lead"))
    except ApplicationError:
        raise Http404 from None
    if customer is None:
        raise Http404
    # No lines (a report valued again since the page was drawn): an empty state, not a 404.
    record = selectors.stored_report(tenant, customer.pk, period)
    lines = reports.stored_lines(record, group=(product_id, lead_id)) if record else []
    rows = [_line_row(line, record.currency) for line in lines]
    if request.htmx:
        return render(request, LEAD_LINES_PARTIAL, {"rows": rows})
    lead = selectors.leads_by_id(tenant, [lead_id]).get(lead_id)
    context = {
        "customer": customer,
        "period": period,
        "rows": rows,
        "lead_label": presenters.LeadGroup(lead_id, lead, product_id, "").label,
        "back_url": _index_url(tenant, period, customer),
    }
    return render(request, LEAD_LINES_PAGE, context)


def _customer_row(tenant, period, report) -> dict:
    record = report.record
    return {
        "customer": report.customer,
        "record": record,
        "totals": presenters.amounts(presenters.totals_of(record), record.currency),
        "url": _index_url(tenant, period, report.customer),
        "pdf_url": _download_url(tenant, period, report.customer, "pdf"),
    }


def _line_row(line, currency: str) -> dict:
    """A line as the drill-down shows it: amounts for people and the reason in words."""
    why = ""
    if line.reason == "duplicate":
        why = _("Same person, action and engagement level as action #%(id)s: not charged again.")
        why %= {"id": line.duplicate_of}
    elif line.reason == "cap":
        why = presenters.explain_cap(line, currency)
    elif line.reason == "unpriced":
        why = _("The card prices no “%(level)s” engagement level.") % {"level": line.engagement}
    return {
        "line": line,
        "value": presenters.money(line.value, currency),
        "billed": presenters.money(line.billed, currency),
        "savings": presenters.money(line.savings, currency),
        "reason": presenters.reason_label(line.reason),
        "why": why,
        "card": _("v%(version)s · %(scope)s")
        % {
            "version": line.card.version,
            "scope": presenters.SCOPE_LABELS[line.card.scope],
        },
    }


@dashboard_view(Role.ANALYST)
def report_download(request, tenant_slug):
    tenant = request.tenant
    try:
        period = parse_period(request.GET.get("period"))
        fmt = parse_format(request.GET.get("format"), ("csv", "pdf"))
    except ApplicationError:
        raise Http404 from None
    _period, customer = _pick(request, [period])
    if fmt == "csv":
        return exports.csv_response(tenant, period, customer)
    if customer is None:
        raise Http404
    return exports.pdf_response(tenant, reports.report_read(tenant, customer, period))


@require_POST
@dashboard_view(Role.ADMIN)
def report_close(request, tenant_slug):
    tenant = request.tenant
    try:
        period = parse_period(request.POST.get("period"))
    except ApplicationError:
        raise Http404 from None
    try:
        tasks.period_close_later(tenant=tenant, actor=request.user, period=period)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(month)s is being closed: its reports become final in a moment.")
            % {"month": f"{period:%Y-%m}"},
        )
    customer = selectors.customer_get(tenant, request.POST.get("customer") or "")
    return client_redirect(request, _index_url(tenant, period, customer))


def _download_url(tenant, period, customer, fmt: str) -> str:
    url = reverse("payperlead:download", kwargs={"tenant_slug": tenant.slug})
    return f"{url}?{_query(period, customer, format=fmt)}"


def _lead_lines_url(tenant, period, customer, group) -> str:
    url = reverse("payperlead:lead_lines", kwargs={"tenant_slug": tenant.slug})
    ids = {"product": group.product_id or "", "lead": group.lead_id or ""}
    return f"{url}?{_query(period, customer, **ids)}"


def _index_url(tenant, period, customer=None) -> str:
    url = reverse("payperlead:reports", kwargs={"tenant_slug": tenant.slug})
    return f"{url}?{_query(period, customer)}"
