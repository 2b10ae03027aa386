"""Dashboard page "Meetings": settings (admins), upcoming meetings with cancel (operators)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.booking import selectors, services
from apps.booking.forms import BookingSettingsForm
from apps.booking.serializers import webhook_url
from apps.core.errors import ApplicationError
from apps.features.guards import feature_enabled, feature_required
from apps.tenants.dashboard import dashboard_view, form_add_error, is_admin, partial_or_redirect
from apps.tenants.roles import Role

PARTIAL = "booking/_booking.html"
TOOL = "booking"


def _context(request, form=None, **extra) -> dict:
    if not feature_enabled(request.tenant, TOOL):
        return {"locked": True, **extra}  # the notice only: no meetings, no settings
    row = selectors.booking_settings_get(request.tenant)
    admin = is_admin(request)
    return {
        "settings_row": row,
        "form": (form or BookingSettingsForm(instance=row)) if admin else None,
        "webhook_url": webhook_url(row) if admin else "",
        "bookings": selectors.booking_list_upcoming(request.tenant),
        "time_zone": request.tenant.time_zone,
        **extra,
    }


def _response(request, *, form=None, status: int = 200, **extra):
    url = reverse("booking:index", kwargs={"tenant_slug": request.tenant.slug})
    return partial_or_redirect(
        request, PARTIAL, _context(request, form, **extra), url=url, status=status, form=form
    )


@dashboard_view(Role.OPERATOR)
def booking_index(request, tenant_slug):
    return render(request, "booking/index.html", _context(request))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def booking_settings_update(request, tenant_slug):
    row = selectors.booking_settings_get(request.tenant)
    form = BookingSettingsForm(request.POST, instance=row)
    if not form.is_valid():
        return _response(request, form=form, status=400)
    try:
        services.booking_settings_save(
            tenant=request.tenant, actor=request.user, data=form.changes(), request=request
        )
    except ApplicationError as error:
        form = BookingSettingsForm(
            request.POST, instance=selectors.booking_settings_get(request.tenant)
        )
        form.is_valid()
        form_add_error(form, error)
        return _response(request, form=form, status=error.status_code)
    return _response(request, notice=_("Settings saved."))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def booking_settings_test(request, tenant_slug):
    row = services.booking_settings_test(tenant=request.tenant)
    if row.last_test_ok:
        return _response(request, notice=row.last_test_message)
    return _response(request, error=row.last_test_message)


@require_POST
@dashboard_view(Role.OPERATOR)
@feature_required(TOOL)
def booking_cancel(request, tenant_slug, booking_id):
    try:
        services.booking_cancel(tenant=request.tenant, actor=request.user, booking_id=booking_id)
    except ApplicationError as error:
        return _response(request, error=error.message, status=error.status_code)
    return _response(request, notice=_("Meeting canceled."))
