"""Where a lead is reached in each channel kind, and the one normalization of addresses
(suppression and identity both compare normalized values)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from apps.leads.identity import InvalidPhone, normalize_email, normalize_phone
from apps.messaging.models import AddressKind, LeadAddress


def normalize(kind: str, value: str) -> str:
    """E-mail lowercased; SMS phone E.164 (+7916…); WhatsApp number as digits (Meta's wa_id);
    Telegram chat id as given. "" when it is not a usable address."""
    value = (value or "").strip()
    if not value:
        return ""
    if kind == AddressKind.EMAIL:
        return normalize_email(value) if "@" in value else ""
    if kind in (AddressKind.SMS, AddressKind.WHATSAPP):
        raw = value if value.startswith("+") or kind == AddressKind.SMS else "+" + value
        try:
            phone = normalize_phone(raw)
        except InvalidPhone:
            return ""
        return phone.lstrip("+") if kind == AddressKind.WHATSAPP else phone
    return value


def lead_address(lead, kind: str) -> str:
    """The lead's address in a channel kind: the one it last wrote from, else its e-mail/phone."""
    stored = (
        LeadAddress.objects.filter(lead=lead, kind=kind)
        .order_by("-created_at", "-id")
        .values_list("value", flat=True)
        .first()
    )
    return stored or contact_address(lead, kind)


def contact_address(lead, kind: str) -> str:
    """The lead's own e-mail/phone as an address in a channel kind ("" for other kinds)."""
    if kind == AddressKind.EMAIL:
        return normalize(kind, lead.email)
    if kind in (AddressKind.SMS, AddressKind.WHATSAPP):
        return normalize(kind, lead.phone)
    return ""


def remember_address(tenant, lead, kind: str, value: str) -> None:
    """Store that `value` is this lead's (idempotent; an address already taken stays with its
    first lead)."""
    if not value:
        return
    try:
        with transaction.atomic():
            LeadAddress.objects.get_or_create(
                tenant=tenant, kind=kind, value=value, defaults={"lead": lead}
            )
    except IntegrityError:
        pass


def lead_by_address(tenant, kind: str, value: str):
    """The lead this address belongs to, or None."""
    found = (
        LeadAddress.objects.for_tenant(tenant)
        .filter(kind=kind, value=value)
        .select_related("lead")
        .first()
    )
    return found.lead if found else None
