"""POST /webhooks/calcom/<token>/: Cal.com's booking events for one tenant. The token in the
URL names the tenant; the X-Cal-Signature-256 HMAC proves the sender knows the secret."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.booking import selectors
from apps.booking.calcom_events import SignatureInvalid, calcom_delivery_handle
from apps.booking.providers.calcom import SIGNATURE_HEADER
from apps.core.api import error_body
from apps.tenants.scoping import tenant_scope


@csrf_exempt
@require_POST
def calcom_webhook(request, token: str):
    row = selectors.booking_settings_by_webhook_token(token)
    with tenant_scope(row.tenant):
        try:
            outcome = calcom_delivery_handle(
                row, request.body, request.headers.get(SIGNATURE_HEADER, "")
            )
        except SignatureInvalid:
            body = error_body("invalid_signature", "Signature does not match.")
            return JsonResponse(body, status=403)
    return JsonResponse({"status": outcome})
