"""Provider callbacks: /webhooks/channels/<kind>/<channel_token>/.

Unknown token (or a disabled channel, or another kind) → 404. The provider's signature or
secret is checked first (bad → 403, nothing stored), the payload parsed, the work queued on
the `messaging` queue and the provider answered at once (apps/messaging/inbound.py stores it;
a replay stores one message).
"""

from __future__ import annotations

import hmac
from dataclasses import asdict

import structlog
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from apps.channels.providers.base import WebhookRejected
from apps.channels.selectors import channel_by_webhook_token
from apps.channels.services import adapter_for
from apps.core.errors import ObjectNotFound
from apps.messaging.tasks import process_webhook_task

logger = structlog.get_logger("fastlead.messaging")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def channel_webhook(request: HttpRequest, kind: str, token: str) -> HttpResponse:
    channel = channel_by_webhook_token(token)
    if channel.kind != kind:
        raise ObjectNotFound()
    if request.method == "GET":
        return _verify_subscription(request, channel)
    adapter = adapter_for(channel)
    try:
        adapter.verify_webhook(request)
    except WebhookRejected:
        logger.warning("webhook.rejected", channel_id=channel.pk, provider=channel.provider)
        return HttpResponseForbidden()
    payload = {
        "inbound": [_plain(m) for m in adapter.parse_inbound(request)],
        "statuses": [asdict(s) for s in adapter.parse_status(request)],
    }
    if payload["inbound"] or payload["statuses"]:
        process_webhook_task.delay(str(channel.tenant_id), channel.pk, payload)
    body, content_type = adapter.webhook_answer
    return HttpResponse(body, content_type=content_type)


def _plain(message) -> dict:
    data = asdict(message)
    data.pop("raw", None)
    return data


def _verify_subscription(request, channel) -> HttpResponse:
    """Meta's webhook check: hub.mode=subscribe, hub.verify_token = the channel's token."""
    given = request.GET.get("hub.verify_token", "")
    if request.GET.get("hub.mode") == "subscribe" and hmac.compare_digest(
        given, channel.webhook_token
    ):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    return HttpResponseForbidden()
