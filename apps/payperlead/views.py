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
    parse_period,
    resolve_customer,
)
from apps.payperlead.models import month_bounds, month_start
from apps.payperlead.periods import months_with_actions
from apps.tenants.dashboard import client_redirect, dashboard_view, is_admin
from apps.tenants.roles import Role

LEADS_PER_PAGE = 20  # each lead renders its lines (collapsed): 20 keep a page light
INDEX = "payperlead/reports/index.html"
REPORT_PARTIAL = "payperlead/reports/_report.html"


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
    page = Paginator(_lead_groups(tenant, report), LEADS_PER_PAGE).get_page(request.GET.get("page"))
    _fill_lines(report, page)
    for group in page:
        product = report.products.get(group.product_id)
        group.product_ref = product.external_ref if product else ""
        group.amounts = presenters.amounts(
            {"gross": group.gross, "billed": group.billed, "savings": group.savings}, currency
        )
        group.rows = [_line_row(line, report) for line in group.lines]
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


def _lead_groups(tenant, report) -> list[presenters.LeadGroup]:
    """Every lead of the report with its sums (from the database, not its lines), in the
    drill-down's order."""
    if report.record.pk is None:
        return []
    groups = [
        presenters.LeadGroup(
            t["lead_id"],
            _lead_label(t),
            t["product_id"],
            t["lead_type"],
            gross=t["gross"],
            billed=t["billed"],
            savings=t["savings"],
        )
        for t in selectors.lead_totals(report.record)
    ]
    return sorted(groups, key=presenters.lead_group_order)


def _lead_label(totals: dict) -> SimpleNamespace | None:
    """What LeadGroup.label reads of a lead (None: the lead was deleted)."""
    if totals["lead__name"] is None and totals["lead__external_id"] is None:
        return None
    return SimpleNamespace(name=totals["lead__name"], external_id=totals["lead__external_id"])


def _fill_lines(report, page) -> None:
    """The lines of the leads on this page only."""
    if report.record.pk is None:
        return
    groups = {(g.product_id, g.lead_id): g for g in page}
    lines = reports.stored_lines(report.record, {lead_id for _p, lead_id in groups})
    for line in lines:
        group = groups.get((line.product_id, line.lead_id))
        if group is not None:
            group.lines.append(line)


def _customer_row(tenant, period, report) -> dict:
    record = report.record
    return {
        "customer": report.customer,
        "record": record,
        "totals": presenters.amounts(presenters.totals_of(record), record.currency),
        "url": _index_url(tenant, period, report.customer),
        "pdf_url": _download_url(tenant, period, report.customer, "pdf"),
    }


def _line_row(line, report) -> dict:
    """A line as the drill-down shows it: amounts for people and the reason in words."""
    currency = report.record.currency
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


def _index_url(tenant, period, customer=None) -> str:
    url = reverse("payperlead:reports", kwargs={"tenant_slug": tenant.slug})
    return f"{url}?{_query(period, customer)}"
