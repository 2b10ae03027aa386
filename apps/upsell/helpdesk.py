"""Helpdesk webhook formats: a documented generic JSON shape and adapters for Zendesk and
Help Scout, each with its provider's own signature scheme. The request's headers choose the
adapter; every adapter answers a `TicketIn` or raises `BadPayload` / `SignatureInvalid`.

Generic shape (header `X-FastLead-Signature: sha256=<hex HMAC-SHA256 of the raw body>`):

    {"ticket": {"id": "T-1", "subject": "...", "body": "...", "status": "open",
                "tags": ["billing"], "created_at": "2026-12-05T10:00:00Z",
                "closed_at": null,
                "requester": {"name": "...", "email": "...", "phone": "+7...",
                              "marketing_consent": true}}}

Zendesk (event subscriptions, `zen:event-type:ticket.*`): `X-Zendesk-Webhook-Signature` =
base64(HMAC-SHA256(secret, timestamp + body)) with `X-Zendesk-Webhook-Signature-Timestamp`.
Help Scout (`convo.*`, the v2 conversation object): `X-HelpScout-Signature` =
base64(HMAC-SHA1(secret, body)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.dateparse import parse_datetime

from apps.upsell.models import TicketSource

GENERIC_HEADER = "X-FastLead-Signature"
ZENDESK_HEADER = "X-Zendesk-Webhook-Signature"
ZENDESK_TS_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
HELPSCOUT_HEADER = "X-HelpScout-Signature"


class SignatureInvalid(Exception):
    pass


class BadPayload(ValueError):
    pass


@dataclass
class TicketIn:
    external_id: str
    subject: str = ""
    body: str = ""
    status: str = ""
    tags: list[str] = field(default_factory=list)
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    requester_name: str = ""
    requester_email: str = ""
    requester_phone: str = ""
    marketing_consent: bool = False


def generic_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def zendesk_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def helpscout_signature(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), body, hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _check(expected: str, given: str) -> None:
    if not secretsafe(given) or not hmac.compare_digest(expected, given.strip()):
        raise SignatureInvalid()


def secretsafe(value: str) -> bool:
    return bool(value) and len(value) < 200


def _json(body: bytes) -> dict:
    try:
        data = json.loads(body or b"null")
    except ValueError:
        raise BadPayload("The body is not JSON.") from None
    if not isinstance(data, dict):
        raise BadPayload("The body must be a JSON object.")
    return data


def _when(value) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _id(value) -> str:
    ref = _text(value, 128)
    if not ref:
        raise BadPayload("The ticket has no id.")
    return ref


def parse(headers, body: bytes, secret: str) -> tuple[str, TicketIn]:
    """(source, ticket) of a signed helpdesk request."""
    if headers.get(ZENDESK_HEADER):
        timestamp = headers.get(ZENDESK_TS_HEADER, "")
        _check(zendesk_signature(secret, timestamp, body), headers[ZENDESK_HEADER])
        return TicketSource.ZENDESK, zendesk_ticket(_json(body))
    if headers.get(HELPSCOUT_HEADER):
        _check(helpscout_signature(secret, body), headers[HELPSCOUT_HEADER])
        return TicketSource.HELPSCOUT, helpscout_ticket(_json(body))
    _check(generic_signature(secret, body), headers.get(GENERIC_HEADER, ""))
    return TicketSource.GENERIC, generic_ticket(_json(body))


def generic_ticket(data: dict) -> TicketIn:
    ticket = data.get("ticket", data)
    if not isinstance(ticket, dict):
        raise BadPayload("`ticket` must be an object.")
    person = ticket.get("requester") or {}
    if not isinstance(person, dict):
        raise BadPayload("`requester` must be an object.")
    tags = ticket.get("tags") or []
    return TicketIn(
        external_id=_id(ticket.get("id")),
        subject=_text(ticket.get("subject"), 300),
        body=_text(ticket.get("body") or ticket.get("description"), 20000),
        status=_text(ticket.get("status"), 40),
        tags=[_text(t, 60) for t in tags if isinstance(t, str | int)][:30]
        if isinstance(tags, list)
        else [],
        opened_at=_when(ticket.get("created_at")),
        closed_at=_when(ticket.get("closed_at")),
        requester_name=_text(person.get("name"), 200),
        requester_email=_text(person.get("email"), 254),
        requester_phone=_text(person.get("phone"), 40),
        marketing_consent=person.get("marketing_consent") is True,
    )


def zendesk_ticket(data: dict) -> TicketIn:
    """Zendesk's ticket event: the ticket is in `detail` (`requester` is not part of the
    documented event; a trigger webhook may add it in the generic shape's form)."""
    kind = str(data.get("type", ""))
    if not kind.startswith("zen:event-type:ticket."):
        raise BadPayload("Not a Zendesk ticket event.")
    detail = data.get("detail") or {}
    if not isinstance(detail, dict):
        raise BadPayload("`detail` must be an object.")
    person = data.get("requester") or detail.get("requester") or {}
    status = _text(detail.get("status"), 40).lower()
    return TicketIn(
        external_id=_id(detail.get("id")),
        subject=_text(detail.get("subject"), 300),
        body=_text(detail.get("description"), 20000),
        status=status,
        tags=[_text(t, 60) for t in detail.get("tags") or [] if isinstance(t, str)][:30],
        opened_at=_when(detail.get("created_at")),
        closed_at=_when(detail.get("updated_at")) if status in ("solved", "closed") else None,
        requester_name=_text(person.get("name"), 200) if isinstance(person, dict) else "",
        requester_email=_text(person.get("email"), 254) if isinstance(person, dict) else "",
        requester_phone=_text(person.get("phone"), 40) if isinstance(person, dict) else "",
    )


def helpscout_ticket(data: dict) -> TicketIn:
    """Help Scout's conversation object (Mailbox API 2.0): the customer's threads are the
    text, `primaryCustomer` the requester."""
    person = data.get("primaryCustomer") or data.get("customer") or {}
    threads = ((data.get("_embedded") or {}).get("threads")) or []
    texts = [
        _text(t.get("body"), 20000)
        for t in threads
        if isinstance(t, dict) and t.get("type") == "customer" and t.get("body")
    ]
    name = " ".join(
        p for p in (_text(person.get("first"), 100), _text(person.get("last"), 100)) if p
    )
    status = _text(data.get("status"), 40)
    return TicketIn(
        external_id=_id(data.get("id")),
        subject=_text(data.get("subject"), 300),
        body="\n\n".join(reversed(texts)) or _text(data.get("preview"), 20000),
        status=status,
        tags=[_text(t.get("tag"), 60) for t in data.get("tags") or [] if isinstance(t, dict)],
        opened_at=_when(data.get("createdAt")),
        closed_at=_when(data.get("closedAt")),
        requester_name=name,
        requester_email=_text(person.get("email"), 254),
        requester_phone=_text(person.get("phone"), 40),
    )
