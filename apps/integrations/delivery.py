"""Send one webhook delivery: claim, check the target, sign, POST, log, schedule the next try.

At least once: a delivery is `pending` until a 2xx answer, then `succeeded`; each attempt is
one POST, claimed first (`pending` → `sending` under a row lock), so a task that arrives twice
sends once. A non-2xx answer, a refused connection or a timeout schedule the next attempt from
`RETRY_SCHEDULE` (data, not sleeps: the dispatch beat picks due deliveries every minute). When
the schedule is spent (about 24 hours) the delivery fails for good and its endpoint is
disabled, with one e-mail to the company's admins (apps/integrations/alerts.py).

In order per object: a delivery waits while an earlier delivery of the same object (same
endpoint, same `object_key`, lower id) is still pending or sending; when that one is done the
next is queued at once. A worker that died mid-send leaves `sending`; after `SEND_LEASE` the
recovery beat makes it `pending` again (the receiver may see it twice: the event id tells).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import structlog
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.http import make_client
from apps.features.guards import feature_enabled
from apps.integrations.alerts import endpoint_disable_after_failures
from apps.integrations.event_types import TEST
from apps.integrations.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from apps.integrations.signing import SIGNATURE_HEADER, signature_header
from apps.integrations.targets import TargetRefused, target_check

logger = structlog.get_logger("fastlead.integrations")

# Seconds after each failed attempt (1st, 2nd, …) before the next one: 1 min, 5 min, 30 min,
# 1 h, 2 h, 4 h, 8 h, 8 h 24 min — nine attempts over 24 hours, then the delivery fails.
RETRY_SCHEDULE = (60, 300, 1800, 3600, 7200, 14400, 28800, 30240)
TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)
SEND_LEASE = timedelta(seconds=120)  # longer than any attempt (connect + write + read)
RESPONSE_KEPT = 1000

SUCCEEDED, RETRYING, FAILED = "succeeded", "retrying", "failed"
BUSY, DONE, WAITING, PAUSED, NOT_DUE, MISSING = (
    "busy",
    "done",
    "waiting",
    "paused",
    "not_due",
    "missing",
)


def delivery_send(
    tenant, delivery_id: int, *, transport: httpx.BaseTransport | None = None
) -> tuple[str, int | None]:
    """One attempt at a delivery: (what happened, a word for logs and tests; the id of the
    delivery of the same object that may go now, or None)."""
    claimed = _claim(tenant, delivery_id)
    if isinstance(claimed, str):
        return claimed, None
    delivery = claimed
    endpoint, event = delivery.endpoint, delivery.event
    body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature_header(endpoint.secret, timestamp, body),
        "Fastlead-Event-Id": event.event_id,
        "Fastlead-Event-Type": event.type,
    }
    attempt = WebhookAttempt(
        tenant=tenant,
        delivery=delivery,
        attempted_at=timezone.now(),
        url=endpoint.url[:500],
        request_headers={k: v for k, v in headers.items() if k != SIGNATURE_HEADER}
        | {SIGNATURE_HEADER: f"t={timestamp},v1=…"},
    )
    started = time.monotonic()
    try:
        response = _post(endpoint.url, headers, body, transport)
    except TargetRefused as exc:
        attempt.error = exc.message
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        attempt.error = _transport_error(exc)
    else:
        attempt.status_code = response.status_code
        attempt.response_body = response.text[:RESPONSE_KEPT]
    attempt.duration_ms = int((time.monotonic() - started) * 1000)
    attempt.save()
    return _settle(tenant, delivery, attempt)


def _post(url: str, headers: dict, body: bytes, transport) -> httpx.Response:
    """POST to the checked address of the URL's host (never a second DNS answer), with the
    host's name in Host and TLS SNI; redirects are not followed."""
    target = target_check(url)
    parsed = httpx.URL(url)
    connect_to = parsed.copy_with(host=target.address)
    host_header = target.host if parsed.port is None else f"{target.host}:{parsed.port}"
    with make_client(timeout=TIMEOUT, transport=transport) as client:
        return client.post(
            connect_to,
            content=body,
            headers={**headers, "Host": host_header},
            extensions={"sni_hostname": target.host},
            follow_redirects=False,
        )


def _transport_error(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return _("No answer in time (timeout).")
    if isinstance(exc, httpx.ConnectError):
        return _("Could not connect to the endpoint.")
    return _("The connection failed: %(kind)s.") % {"kind": type(exc).__name__}


def _claim(tenant, delivery_id: int) -> WebhookDelivery | str:
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.for_tenant(tenant)
            .select_for_update()
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return MISSING
        if delivery.status == DeliveryStatus.SENDING:
            return BUSY
        if delivery.status != DeliveryStatus.PENDING:
            return DONE
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            return NOT_DUE
        endpoint = WebhookEndpoint.objects.for_tenant(tenant).get(pk=delivery.endpoint_id)
        delivery.endpoint = endpoint
        is_test = delivery.object_key.startswith("test:")
        if not is_test and (not endpoint.enabled or not feature_enabled(tenant, "webhooks")):
            return PAUSED  # sent when the endpoint is enabled again
        if not is_test and _earlier_open(delivery):
            return WAITING
        delivery.status, delivery.claimed_at = DeliveryStatus.SENDING, now
        delivery.attempts += 1
        delivery.save(update_fields=["status", "claimed_at", "attempts"])
    return delivery


def _earlier_open(delivery: WebhookDelivery) -> bool:
    return (
        WebhookDelivery.objects.for_tenant(delivery.tenant_id)
        .filter(
            endpoint_id=delivery.endpoint_id,
            object_key=delivery.object_key,
            pk__lt=delivery.pk,
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING),
        )
        .exists()
    )


def _settle(tenant, delivery: WebhookDelivery, attempt: WebhookAttempt) -> tuple[str, int | None]:
    now = attempt.attempted_at
    ok = attempt.status_code is not None and 200 <= attempt.status_code < 300
    error = attempt.error or (
        "" if ok else _("The endpoint answered %(code)s.") % {"code": attempt.status_code}
    )
    fields = {
        "last_attempt_at": now,
        "last_status_code": attempt.status_code,
        "last_error": error[:500],
        "claimed_at": None,
    }
    if ok:
        outcome = SUCCEEDED
        fields.update(status=DeliveryStatus.SUCCEEDED, succeeded_at=now, next_attempt_at=None)
    elif delivery.attempts <= len(RETRY_SCHEDULE) and not delivery.object_key.startswith("test:"):
        outcome = RETRYING
        delay = RETRY_SCHEDULE[delivery.attempts - 1]
        fields.update(status=DeliveryStatus.PENDING, next_attempt_at=now + timedelta(seconds=delay))
    else:
        outcome = FAILED
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    WebhookDelivery.objects.for_tenant(tenant).filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING
    ).update(**fields)
    logger.info(
        "webhook.attempt",
        delivery_id=delivery.pk,
        endpoint_id=delivery.endpoint_id,
        event_type=delivery.event.type,
        attempt=delivery.attempts,
        status_code=attempt.status_code,
        outcome=outcome,
    )
    if outcome == FAILED and delivery.event.type != TEST:
        endpoint_disable_after_failures(tenant, delivery.endpoint, error)
    if outcome == RETRYING:
        return outcome, None
    return outcome, _next_of_object(tenant, delivery)


def _next_of_object(tenant, delivery: WebhookDelivery) -> int | None:
    """The next waiting delivery of the same object, which was held for this one."""
    if delivery.object_key.startswith("test:"):
        return None
    return (
        WebhookDelivery.objects.for_tenant(tenant)
        .filter(
            endpoint_id=delivery.endpoint_id,
            object_key=delivery.object_key,
            pk__gt=delivery.pk,
            status=DeliveryStatus.PENDING,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def deliveries_due(now=None, limit: int = 1000) -> list[tuple[str, int]]:
    """(tenant id, delivery id) of pending deliveries whose time has come, on enabled
    endpoints, oldest first (the dispatch beat queues them)."""
    now = now or timezone.now()
    rows = (
        WebhookDelivery.objects.unscoped()
        .filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            endpoint__enabled=True,
        )
        .order_by("next_attempt_at", "pk")
        .values_list("tenant_id", "pk")[:limit]
    )
    return [(str(tenant_id), pk) for tenant_id, pk in rows]


def deliveries_recover_abandoned(now=None) -> int:
    """`sending` rows older than the lease were left by dead workers: pending again, due now
    (at least once: the receiver may see that attempt twice)."""
    now = now or timezone.now()
    return (
        WebhookDelivery.objects.unscoped()
        .filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - SEND_LEASE)
        .update(status=DeliveryStatus.PENDING, next_attempt_at=now, claimed_at=None)
    )


def delivery_resend(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (after a fix on the receiver's side, or to replay one): pending,
    due now, with the whole retry schedule ahead; the log keeps the earlier attempts."""
    WebhookDelivery.objects.for_tenant(delivery.tenant_id).filter(pk=delivery.pk).exclude(
        status=DeliveryStatus.SENDING
    ).update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), attempts=0)
    delivery.refresh_from_db()
    return delivery
