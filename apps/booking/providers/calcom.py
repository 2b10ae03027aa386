"""Cal.com API v2 over httpx: slots of an event type, bookings, cancellation, webhooks.

Versions as Cal.com documents them: `cal-api-version: 2024-09-04` for /v2/slots and
`2024-08-13` for /v2/bookings; `Authorization: Bearer <API key>`. Webhooks are signed with
HMAC-SHA256 of the raw body under the webhook's secret, hex, in `X-Cal-Signature-256`.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from apps.booking.providers.base import Attendee, Booked, Calendar, SlotUnavailable
from apps.booking.slots import Slot
from apps.core.errors import ProviderError
from apps.core.http import make_client, retry_after_seconds
from apps.core.retry import RetryPolicy, call_with_retry

SLOTS_VERSION = "2024-09-04"
BOOKINGS_VERSION = "2024-08-13"
SIGNATURE_HEADER = "X-Cal-Signature-256"
READ_POLICY = RetryPolicy(max_attempts=3, max_seconds=10.0, base_delay=0.5, max_delay=2.0)
# A booking is not idempotent on Cal.com's side: only a refused (429) call is repeated.
WRITE_POLICY = RetryPolicy(
    max_attempts=2, max_seconds=10.0, not_retried=frozenset({"server_error", "unreachable"})
)


def api_url() -> str:
    return getattr(settings, "BOOKING_CALCOM_API_URL", "https://api.cal.com").rstrip("/")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def signature_valid(secret: str, body: bytes, given: str) -> bool:
    if not secret or not given:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


class CalcomCalendar(Calendar):
    kind = "calcom"
    remote = True
    sends_invites = True  # Cal.com e-mails the attendee and the host itself

    def __init__(
        self,
        *,
        api_key: str,
        event_type_id: int | None,
        time_zone: str,
        slot_minutes: int,
        transport: httpx.BaseTransport | None = None,
    ):
        self.api_key = api_key
        self.event_type_id = event_type_id
        self.time_zone = time_zone
        self.slot_minutes = slot_minutes
        self.transport = transport

    # --- HTTP -------------------------------------------------------------------------------

    def _once(self, method: str, path: str, version: str | None, **kwargs) -> dict:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if version:
            headers["cal-api-version"] = version
        client = make_client(base_url=api_url(), headers=headers, transport=self.transport)
        try:
            with client:
                response = client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ProviderError(
                f"Cal.com unreachable: {type(exc).__name__}",
                code="unreachable",
                user_message=_("Cal.com could not be reached."),
            ) from None
        return self._body(response)

    def _body(self, response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code < 400:
            return body if isinstance(body, dict) else {}
        error = body.get("error") if isinstance(body, dict) else None
        message = (error or {}).get("message") if isinstance(error, dict) else None
        message = str(message or body.get("message", "") if isinstance(body, dict) else "")
        status = response.status_code
        raise ProviderError(
            message or f"Cal.com answered {status}",
            permanent=status < 500 and status != 429,
            retry_after=retry_after_seconds(response.headers) if status == 429 else None,
            code="rate_limited"
            if status == 429
            else "server_error"
            if status >= 500
            else "refused",
            status=status,
            user_message=message or _("Cal.com refused the request."),
        )

    def _call(self, policy: RetryPolicy, method: str, path: str, version=None, **kwargs) -> dict:
        return call_with_retry(lambda: self._once(method, path, version, **kwargs), policy)

    # --- the interface ----------------------------------------------------------------------

    def slots(self, day: date, *, now, busy=()) -> list[Slot]:
        params = {
            "eventTypeId": self.event_type_id,
            "start": day.isoformat(),
            "end": day.isoformat(),
            "timeZone": self.time_zone,
            "format": "range",
        }
        body = self._call(READ_POLICY, "GET", "/v2/slots", SLOTS_VERSION, params=params)
        found = []
        for entries in (body.get("data") or {}).values():
            for entry in entries or []:
                start = parse_time(entry["start"])
                end = parse_time(entry["end"]) if entry.get("end") else None
                end = end or start + timedelta(minutes=self.slot_minutes)
                if start > now:
                    found.append(Slot(start, end))
        return sorted(found, key=lambda slot: slot.starts_at)

    def book(self, starts_at: datetime, attendee: Attendee, *, metadata: dict) -> Booked:
        payload = {
            "start": starts_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "eventTypeId": self.event_type_id,
            "attendee": {
                "name": attendee.name,
                "email": attendee.email,
                "timeZone": attendee.time_zone,
                "language": attendee.language,
            },
            "metadata": {key: str(value) for key, value in metadata.items()},
        }
        try:
            body = self._call(WRITE_POLICY, "POST", "/v2/bookings", BOOKINGS_VERSION, json=payload)
        except ProviderError as error:
            if error.status in (400, 409):  # "already has booking at this time / not available"
                raise SlotUnavailable(error.message) from None
            raise
        data = body.get("data") or {}
        return Booked(
            starts_at=parse_time(data.get("start") or payload["start"]),
            ends_at=parse_time(data["end"])
            if data.get("end")
            else starts_at + timedelta(minutes=self.slot_minutes),
            external_id=str(data.get("uid") or data.get("id") or ""),
            raw={"id": data.get("id"), "uid": data.get("uid"), "status": data.get("status")},
        )

    def cancel(self, external_id: str, *, reason: str = "") -> None:
        if external_id:
            self._call(
                WRITE_POLICY,
                "POST",
                f"/v2/bookings/{external_id}/cancel",
                BOOKINGS_VERSION,
                json={"cancellationReason": reason or "Canceled in Fast Lead"},
            )

    def check(self) -> str:
        me = self._call(READ_POLICY, "GET", "/v2/me").get("data") or {}
        who = me.get("email") or me.get("username") or ""
        return _("Connected to Cal.com as %(who)s.") % {"who": who}
