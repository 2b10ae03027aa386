"""Dashboard page "Analytics": cards, channel conversion, funnel, time to first contact,
operators (extended_analytics), cohorts (advanced_analytics); CSV/XLSX of every table."""

from __future__ import annotations

import io
from datetime import UTC

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from apps.analytics.dashboard import dashboard, ttfc_percentiles_cached
from apps.analytics.display import cards_for_display, chart_data
from apps.analytics.periods import period_parse
from apps.analytics.reports import opt_out_read, opt_out_record
from apps.analytics.selectors import PeriodReads
from apps.analytics.tables import TABLES
from apps.core.csv_safety import writer as csv_writer
from apps.core.errors import ApplicationError
from apps.features.guards import (
    FeatureLocked,
    ensure_feature,
    feature_enabled,
    feature_locked_response,
)
from apps.leads.export import CONTENT_TYPES
from apps.leads.export.xlsx import stream_xlsx
from apps.tenants.dashboard import dashboard_view

FORMATS = ("csv", "xlsx")


def _period_or_default(request):
    """The requested period; a bad one shows the default with the error (never a 500). The
    form's empty fields (the dates when a preset is chosen) count as absent."""
    try:
        params = {name: value for name, value in request.GET.items() if value}
        return period_parse(request.tenant, params), None
    except ApplicationError as error:
        return period_parse(request.tenant, {}), error


@dashboard_view()
def index(request, tenant_slug):
    tenant = request.tenant
    period, error = _period_or_default(request)
    reads = PeriodReads(tenant, period)  # one read of the rollups for every table and chart
    tables = {}
    for key, table in TABLES.items():
        if table.tool and not feature_enabled(tenant, table.tool):
            tables[key] = {"locked": True, "title": table.title, "key": key}
            continue
        headers, _kinds, rows = table.build(reads)
        tables[key] = {
            "title": table.title,
            "key": key,
            "headers": headers,
            "rows": [list(zip(headers, row, strict=True)) for row in rows],
        }
    data = dashboard(tenant, period)
    context = {
        "period": period,
        "period_error": error,
        "presets": [
            ("today", _("Today")),
            ("7d", _("7 days")),
            ("30d", _("30 days")),
            ("90d", _("90 days")),
        ],
        "cards": cards_for_display(data),
        "tables": tables,
        "ttfc": ttfc_percentiles_cached(tenant, period),
        "charts": chart_data(reads),
        "query": request.GET.urlencode(),
    }
    status = 400 if error else 200
    return render(request, "analytics/index.html", context, status=status)


@dashboard_view()
def export(request, tenant_slug, table, fmt):
    spec = TABLES.get(table)
    if spec is None or fmt not in FORMATS:
        raise Http404
    try:
        if spec.tool:
            ensure_feature(request.tenant, spec.tool)
    except FeatureLocked as locked:
        return feature_locked_response(request, locked)
    period, error = _period_or_default(request)
    if error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    headers, kinds, rows = spec.build(PeriodReads(request.tenant, period))
    name = f"{table}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        out = csv_writer(buffer)
        out.writerow([str(h) for h in headers])
        out.writerows(rows)
        response = HttpResponse(
            buffer.getvalue().encode("utf-8-sig"), content_type=CONTENT_TYPES[fmt]
        )
    else:
        body = stream_xlsx(
            [str(h) for h in headers], kinds, rows, tz=UTC, sheet_name=str(spec.title)[:31]
        )
        response = StreamingHttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # the signed token in the URL is the credential (also RFC 8058 one-click POST)
@require_http_methods(["GET", "POST"])
def opt_out(request, token):
    """Unsubscribe from the weekly report without logging in: GET asks, POST records."""
    found = opt_out_read(token)
    if found is None:
        return render(request, "analytics/opt_out.html", {"invalid": True}, status=404)
    if request.method == "POST":
        opt_out_record(*found)
        return render(request, "analytics/opt_out.html", {"done": True})
    return render(request, "analytics/opt_out.html", {})
