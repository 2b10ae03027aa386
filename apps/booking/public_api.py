"""The widget's meeting step: /api/public/v1/widget/{key}/slots/?date= and …/book/.

Same gate as the rest of the public widget API (apps/leads/public_api.py): the publishable
key names the tenant, per-IP and per-key rate limits, the tenant's allowed origins. Booking
acts only for the lead the visitor just became: the widget sends back the `submission_id` of
the form it just sent (a random UUID; leads remembers its lead for a day,
apps/leads/widget_hooks.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import DatabaseError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.booking import selectors, services
from apps.core.errors import ApplicationError
from apps.features.guards import feature_enabled
from apps.leads import public_gate as gate
from apps.leads.widget_availability import answer_503_when_database_down
from apps.leads.widget_config import LANGUAGES, visitor_language
from apps.leads.widget_intake import visitor_lead_settled
from apps.tenants.scoping import tenant_scope


def public_config_booking(tenant_id: str, widget_api_url: str) -> dict:
    """The `booking` block of the published widget config (leads' extras registry). With the
    database down the form still shows (from the cache) and offers no meetings: none could be
    booked then anyway. A plan without the booking tool offers none either."""
    try:
        enabled = selectors.booking_enabled(tenant_id) and feature_enabled(tenant_id, services.TOOL)
    except DatabaseError:
        enabled = False
    if not enabled:
        return {"booking": {"enabled": False}}
    return {
        "booking": {
            "enabled": True,
            "slots_url": f"{widget_api_url}slots/",
            "book_url": f"{widget_api_url}book/",
        }
    }


def _application_error(error: ApplicationError) -> JsonResponse:
    return gate.error_response(
        error.code, error.message, error.status_code, error.fields, **error.extra
    )


def _parse_day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@csrf_exempt
@require_GET
@answer_503_when_database_down
def widget_slots(request, publishable_key: str):
    """The free meeting starts of one day (the company's local date; without one, the first
    day from today that has free time)."""
    widget, error = gate.enter(request, "slots", publishable_key)
    if error:
        return error
    refused = gate.origin_refused(request, widget)
    if refused is not None:
        return refused
    tenant = gate.widget_tenant(widget)
    asked = request.GET.get("date", "")
    day = _parse_day(asked) if asked else None
    if asked and day is None:
        message = _("Give the date as YYYY-MM-DD.")
        return gate.error_response("invalid", message, 400, {"date": [message]})
    with tenant_scope(tenant):
        try:
            if day is None:
                day, slots = services.slots_first_day(tenant=tenant)
            else:
                slots = services.slots_for_day(tenant=tenant, day=day)
        except ApplicationError as exc:
            return _application_error(exc)
    return JsonResponse(
        {
            "date": day.isoformat(),
            "time_zone": tenant.time_zone,
            "slots": [slot.as_json() for slot in slots],
        }
    )


def _parse_book(body) -> tuple[str, datetime | None, dict]:
    fields: dict[str, list[str]] = {}
    if not isinstance(body, dict):
        return "", None, {"submission_id": [_("Send a JSON object.")]}
    token = str(body.get("submission_id") or "")
    if not token:
        fields["submission_id"] = [_("Send the form first.")]
    try:
        start = datetime.fromisoformat(str(body.get("start", "")).replace("Z", "+00:00"))
        start = start.astimezone(UTC) if start.tzinfo else None
    except ValueError:
        start = None
    if start is None:
        fields["start"] = [_("Give the start as an ISO 8601 time with its offset.")]
    return token, start, fields


@csrf_exempt
@require_POST
@answer_503_when_database_down
def widget_book(request, publishable_key: str):
    """Book a start for the visitor's lead: 201 with the meeting, 409 `slot_taken` with
    `next_slots` when someone was quicker."""
    widget, error = gate.enter(request, "book", publishable_key)
    if error:
        return error
    if not gate.sent_from_allowed_site(request, widget):
        message = _("This site is not allowed to send requests to this form.")
        return gate.error_response("origin_not_allowed", message, 403)
    body, error = gate.read_body(request)
    if error:
        return error
    token, start, fields = _parse_book(body)
    lead_id = visitor_lead_settled(widget.tenant_id, token) if token else None
    if token and lead_id is None:
        fields["submission_id"] = [_("The form has expired. Send it again.")]
    if fields:
        return gate.error_response("invalid", _("Some fields are invalid."), 400, fields)
    lang = str(body.get("lang") or "")
    tenant = gate.widget_tenant(widget)
    with tenant_scope(tenant):
        try:
            booking = services.booking_create(
                tenant=tenant,
                lead_id=lead_id,
                starts_at=start,
                language=lang if lang in LANGUAGES else visitor_language(),
            )
        except ApplicationError as exc:
            return _application_error(exc)
    return JsonResponse(
        {
            "status": "booked",
            "start": booking.starts_at.isoformat().replace("+00:00", "Z"),
            "end": booking.ends_at.isoformat().replace("+00:00", "Z"),
            "time_zone": tenant.time_zone,
        },
        status=201,
    )
