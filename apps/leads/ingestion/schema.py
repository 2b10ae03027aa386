"""The shape of one submitted lead, validated fast (pydantic) with field-level errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    field_validator,
)

from apps.leads.identity import InvalidPhone, normalize_email, normalize_phone
from apps.leads.models import Engagement, Source
from apps.leads.source_tokens import TOKEN_ONLY_SOURCES

MAX_ACTIONS_PER_LEAD = 1000
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# Fast e-mail shape check (Django's EmailValidator costs ~40 µs a call, 40 % of bulk validation):
# one @, a non-empty local part without spaces, and a dotted domain of valid labels.
_EMAIL_RE = re.compile(
    r"^[^\s@\"(),:;<>\[\\\]]{1,64}@(?=.{1,253}$)(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+"
    r"(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})$"
)

# PostgreSQL cannot store the NUL character: text carrying one is refused per field (a Rust
# regex inside pydantic, so the bulk path stays fast) instead of failing the whole write.
NO_NUL = r"^[^\x00]*$"


def text(max_length: int, *, min_length: int | None = None):
    """A stripped string of at most `max_length` characters with no NUL in it."""
    constraints = StringConstraints(
        strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=NO_NUL
    )
    return Annotated[str, constraints]


def has_nul(value: Any) -> bool:
    """Whether a NUL hides anywhere in `value` (strings, keys and values of dicts, lists)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def refuse_nul(value: Any) -> Any:
    """A field validator for free-form JSON fields (metadata, utm)."""
    if has_nul(value):
        raise ValueError("nul")
    return value


Short = text(200)
Ref = text(128, min_length=1)


def email_is_valid(value: str) -> bool:
    """The ingestion's e-mail shape check (for hand edits too); `value` already normalized."""
    return bool(_EMAIL_RE.match(value))


_latest = [datetime.now(UTC) + timedelta(days=1)]


def refresh_latest() -> None:
    """Move the "no later than tomorrow" bound to now (once per batch, not per timestamp)."""
    _latest[0] = datetime.now(UTC) + timedelta(days=1)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # naive timestamps are read as UTC
    if value < EARLIEST or value > _latest[0]:
        raise ValueError("out_of_range")
    return value


_ENGAGEMENT = {level.value.lower(): level.value for level in Engagement}


def _not_token_only(value: Source | None) -> Source | None:
    """HyroPage's source is set by the widget on a hosted page only (source_tokens.py)."""
    if value is not None and value.value in TOKEN_ONLY_SOURCES:
        raise ValueError("source")
    return value


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action_type: text(100, min_length=1)
    timestamp: datetime
    engagement_level: text(20)
    channel: Source | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    _metadata = field_validator("metadata")(refuse_nul)

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: Source | None) -> Source | None:
        return _not_token_only(value)

    @field_validator("timestamp")
    @classmethod
    def _timestamp(cls, value: datetime) -> datetime:
        return _aware(value)

    @field_validator("engagement_level")
    @classmethod
    def _engagement(cls, value: str) -> str:
        level = _ENGAGEMENT.get(value.strip().lower())
        if level is None:
            raise ValueError("engagement")
        return level


class ConsentIn(BaseModel):
    """Consent is a real JSON boolean: "yes", 1 or "true" are not consent."""

    model_config = ConfigDict(extra="forbid")

    processing: StrictBool = False
    marketing: StrictBool = False


class LeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    lead_id: Ref | None = None
    external_id: Ref | None = None
    customer_id: Ref | None = None
    product_id: Ref | None = None
    lead_type: text(100) = ""
    actions: list[ActionIn] = Field(default_factory=list, max_length=MAX_ACTIONS_PER_LEAD)
    created_at: datetime | None = None
    name: Short = ""
    email: text(254) = ""
    phone: text(40) = ""
    company: Short = ""
    role: Short = ""
    industry: Short = ""
    company_size: text(64) = ""
    website: text(300) = ""
    source: Source | None = None
    list_id: int | None = None
    consent: ConsentIn | None = None
    # A message the person left (widget, chat); stored as an incoming timeline entry.
    message: text(5000) = ""

    @field_validator("source")
    @classmethod
    def _source(cls, value: Source | None) -> Source | None:
        return _not_token_only(value)

    @field_validator("created_at")
    @classmethod
    def _created(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _aware(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = normalize_email(value)
        if value and not _EMAIL_RE.match(value):
            raise ValueError("email")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        try:
            return normalize_phone(value)
        except InvalidPhone:
            raise ValueError("phone") from None

    @property
    def reference(self) -> str:
        return self.external_id or self.lead_id or ""


NUL_MESSAGE = _lazy("Remove the NUL character (\\0): it cannot be stored.")


def _message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    custom = str(ctx.get("error", "")) if kind == "value_error" else ""
    messages = {
        "missing": _("This field is required."),
        "extra_forbidden": _("Unknown field."),
        "email": _("Enter a valid e-mail address."),
        "phone": _("Enter a valid phone number, e.g. +7 916 123-45-67."),
        "engagement": _("Must be one of: Low, Medium, High."),
        "out_of_range": _("The date must be between 2000-01-01 and tomorrow."),
        "nul": NUL_MESSAGE,
        "string_pattern_mismatch": NUL_MESSAGE,  # NO_NUL is the only pattern used
    }
    if custom in messages:
        return messages[custom]
    if kind in messages:
        return messages[kind]
    if kind.startswith("datetime") or kind.startswith("date"):
        return _("Enter a valid date and time in ISO 8601, e.g. 2024-04-01T10:00:00Z.")
    if kind in ("string_type", "string_too_long", "string_too_short"):
        if kind == "string_too_long":
            return _("Too long: at most %(max)s characters.") % {"max": ctx.get("max_length")}
        if kind == "string_too_short":
            return _("This field cannot be empty.")
        return _("Must be a string.")
    if kind in ("list_type", "too_long"):
        if kind == "too_long":
            return _("Too many items: at most %(max)s.") % {"max": ctx.get("max_length")}
        return _("Must be a list.")
    if kind in ("int_type", "int_parsing"):
        return _("Must be an integer.")
    if kind in ("bool_type", "bool_parsing", "bool_strict"):
        return _("Must be true or false.")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Must be an object.")
    if kind == "enum":
        return _("Must be one of: %(values)s.") % {"values": ctx.get("expected", "")}
    return _("Invalid value.")


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        key = ".".join(str(part) for part in error["loc"]) or "non_field_errors"
        out.setdefault(key, []).append(_message(error))
    return out


def validate_item(raw: Any) -> tuple[LeadIn | None, dict[str, list[str]]]:
    """One submitted lead → (clean lead, {}) or (None, field errors)."""
    if not isinstance(raw, dict):
        return None, {"non_field_errors": [_("Each lead must be a JSON object.")]}
    try:
        item = LeadIn.model_validate(raw)
    except ValidationError as exc:
        return None, field_errors(exc)
    if not (item.email or item.phone or item.reference):
        message = _("Give at least an e-mail, a phone or a lead_id.")
        return None, {"email": [message]}
    return item, {}
