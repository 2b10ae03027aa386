"""Provider notifications: verify, record the event id (a replay stops there), dispatch.

Answers 200 for duplicates and unknown payments (the provider must stop retrying) and 400 for
a notification that fails verification; T-Bank expects the body `OK`.
"""

import structlog
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.core.errors import ProviderError
from apps.payments import gateways
from apps.payments.gateways import NotificationRejected
from apps.payments.services.notifications import payment_notification_process

logger = structlog.get_logger("fastlead.payments.webhooks")


def _handle(request, provider: str, ok_body: str) -> HttpResponse:
    if (
        not gateways.provider_configured(provider)
        or not gateways.capabilities(provider).notifies_us
    ):
        return HttpResponse(status=404)
    try:
        event = gateways.get_gateway(provider).parse_notification(request)
    except NotificationRejected as exc:
        logger.warning("payment_notification_rejected", provider=provider, reason=str(exc))
        return HttpResponseBadRequest("rejected")
    except ProviderError:
        # Re-fetching the payment failed (provider down): 503 so that it retries later.
        return HttpResponse("retry", status=503)
    outcome = payment_notification_process(event)
    logger.info("payment_notification", provider=provider, outcome=outcome)
    return HttpResponse(ok_body, content_type="text/plain")


@csrf_exempt
@require_POST
def tinkoff(request):
    return _handle(request, gateways.TINKOFF, "OK")


@csrf_exempt
@require_POST
def yookassa(request):
    return _handle(request, gateways.YOOKASSA, "")
