"""Webhooks in: `/webhooks/helpdesk/<token>/` (a tenant's helpdesk: the token names the
tenant, the HMAC signature proves the sender knows the secret shown once in the dashboard)
and `/webhooks/hyrocall/` (call outcomes, signed with the platform's webhook secret).
Both answer fast: the ticket is stored and its classification queued after commit."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.http.request import RawPostDataException
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.core.api import error_body
from apps.features.guards import FeatureLocked, ensure_feature
from apps.tenants.scoping import tenant_scope
from apps.upsell import outreach, selectors
from apps.upsell.helpdesk import BadPayload, SignatureInvalid, parse
from apps.upsell.providers import get_call_platform
from apps.upsell.services.intake import ticket_receive

TOOL = "upsell"
MAX_BODY = 256 * 1024


def _raw_body(request) -> bytes:
    """The raw body (empty if something already parsed it as a form: nothing to verify)."""
    try:
        return request.body
    except RawPostDataException:
        return b""


@csrf_exempt
@require_POST
def helpdesk_webhook(request, token: str):
    row = selectors.settings_by_webhook_token(token)
    raw = _raw_body(request)
    if len(raw) > MAX_BODY:
        return JsonResponse(error_body("too_large", "The body is too large."), status=413)
    with tenant_scope(row.tenant):
        try:
            source, data = parse(request.headers, raw, row.webhook_secret)
        except SignatureInvalid:
            body = error_body("invalid_signature", "Signature does not match.")
            return JsonResponse(body, status=403)
        except BadPayload as exc:
            return JsonResponse(error_body("invalid", str(exc)), status=400)
        try:
            ensure_feature(row.tenant, TOOL)
        except FeatureLocked as exc:
            return JsonResponse(error_body(exc.code, exc.message), status=403)
        ticket, queued = ticket_receive(row.tenant, source, data)
    status = "queued" if queued else "duplicate"
    return JsonResponse({"status": status, "ticket": ticket.pk}, status=202 if queued else 200)


@csrf_exempt
@require_POST
def hyrocall_webhook(request):
    platform = get_call_platform()
    body = _raw_body(request)
    if not platform.verify_webhook(body, request.headers):
        return JsonResponse(
            error_body("invalid_signature", "Signature does not match."), status=403
        )
    try:
        outcome = platform.parse_outcome(json.loads(body))
    except (ValueError, TypeError, AttributeError):
        return JsonResponse(error_body("invalid", "Not a call outcome."), status=400)
    return JsonResponse({"status": outreach.call_outcome_record(outcome)})
