"""Who a lead is. The one place that decides it (the pay-per-lead engine relies on it).

Within a tenant, the same person — normalized e-mail; without one, phone; without either, the
submitted lead id — for the same customer and the same product is the same lead.
"""

import phonenumbers
from django.conf import settings

DEFAULT_PHONE_REGION = getattr(settings, "LEADS_DEFAULT_PHONE_REGION", "RU")


class InvalidPhone(ValueError):
    pass


def normalize_email(value: str | None) -> str:
    return (value or "").strip().lower()


def normalize_phone(value: str | None, region: str = DEFAULT_PHONE_REGION) -> str:
    """E.164 (+79161234567) or "" for no phone; raises InvalidPhone when it does not parse."""
    raw = (value or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(str(exc)) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def person_key(*, email: str, phone: str, lead_ref: str) -> str:
    """The person: e-mail, else phone, else the submitted lead id (already normalized)."""
    if email:
        return f"e:{email}"
    if phone:
        return f"p:{phone}"
    if lead_ref:
        return f"id:{lead_ref}"
    raise ValueError("a lead needs an e-mail, a phone or a lead id")


def identity_key(*, person: str, customer_id: int | None, product_id: int | None) -> str:
    """The lead: the same person for the same customer and product."""
    return f"{customer_id or 0}:{product_id or 0}:{person}"
