"""The offline provider: used when no API key is configured. It does not pretend.

Results are marked `offline=True` (and logged as provider "offline", cost 0). It answers only
schemas that have a registered heuristic working from the request's `context` (the facts the
prompt was built from); for any other schema it fails with `offline_unavailable` instead of
inventing an answer. Apps register their heuristics (`register_offline_handler`); the helpers
below tell a corporate e-mail domain, which proves an employer, from free mail, which does not.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from decimal import Decimal

import pydantic

from apps.ai.providers.base import LLMClient, ProviderError, StructuredRequest, StructuredResult

OFFLINE_MODEL = "offline-heuristic-v1"

# Free and personal mail providers: their domain says nothing about an employer.
FREE_MAIL_DOMAINS = frozenset(
    {
        # Russia and the CIS
        "yandex.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua", "ya.ru", "narod.ru",
        "mail.ru", "bk.ru", "list.ru", "inbox.ru", "internet.ru", "mail.ua", "rambler.ru",
        "lenta.ru", "autorambler.ru", "myrambler.ru", "ro.ru", "rambler.ua", "qip.ru",
        "pochta.ru", "e1.ru", "ngs.ru", "ukr.net", "i.ua", "meta.ua", "tut.by", "mail.kz",
        # international
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "icloud.com", "me.com", "mac.com", "yahoo.com", "ymail.com", "rocketmail.com",
        "aol.com", "proton.me", "protonmail.com", "protonmail.ch", "pm.me", "gmx.com",
        "gmx.net", "gmx.de", "web.de", "mail.com", "zoho.com", "zohomail.com", "tutanota.com",
        "tuta.io", "fastmail.com", "hey.com", "yahoo.co.uk", "hotmail.co.uk", "outlook.de",
    }
)  # fmt: skip
# Providers with a domain per country (yahoo.fr, hotmail.it, outlook.com.br, ...).
FREE_MAIL_LABELS = frozenset({"gmail", "yahoo", "hotmail", "outlook", "live", "yandex", "gmx"})
# Second-level public suffixes under which the registrable domain has three labels.
_SECOND_LEVEL = frozenset(
    {
        "com.ru", "net.ru", "org.ru", "msk.ru", "spb.ru", "co.uk", "org.uk", "com.ua",
        "com.kz", "com.by", "co.il", "com.au", "co.jp", "com.br", "com.tr", "co.za", "com.cn",
    }
)  # fmt: skip
_EMAIL = re.compile(r"^[^@\s]+@(?P<domain>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?\.[a-z]{2,63})$")

Handler = Callable[[StructuredRequest], pydantic.BaseModel]
_handlers: dict[type[pydantic.BaseModel], Handler] = {}


def register_offline_handler(schema: type[pydantic.BaseModel], handler: Handler) -> None:
    """Let the offline provider answer `schema` with a heuristic (other apps call this)."""
    _handlers[schema] = handler


def registrable_domain(domain: str) -> str:
    """`mail.romashka.ru` -> `romashka.ru`; `shop.example.co.uk` -> `example.co.uk`."""
    labels = domain.lower().strip(".").split(".")
    size = 3 if ".".join(labels[-2:]) in _SECOND_LEVEL else 2
    return ".".join(labels[-size:])


def corporate_domain(email: str) -> str | None:
    """The employer's domain proven by an e-mail address, or None (free mail, invalid)."""
    match = _EMAIL.match((email or "").strip().lower())
    if not match:
        return None
    domain = registrable_domain(match.group("domain"))
    if domain in FREE_MAIL_DOMAINS or match.group("domain") in FREE_MAIL_DOMAINS:
        return None
    if domain.split(".")[0] in FREE_MAIL_LABELS:
        return None
    return domain


class OfflineClient(LLMClient):
    """The labelled offline stand-in for a provider without an API key."""

    provider = "offline"
    offline = True

    def __init__(self, *, stands_in_for: str = "anthropic"):
        self.stands_in_for = stands_in_for

    @property
    def model(self) -> str:
        return OFFLINE_MODEL

    def structured(self, request: StructuredRequest) -> StructuredResult:
        handler = _handlers.get(request.schema)
        if handler is None:
            raise ProviderError(
                f"No {self.stands_in_for} API key is configured and the offline mode has no "
                f"heuristic for {request.schema.__name__}.",
                permanent=True,
                code="offline_unavailable",
            )
        started = time.perf_counter()
        data = handler(request)
        return StructuredResult(
            data=data,
            model_version=OFFLINE_MODEL,
            input_tokens=0,
            output_tokens=0,
            cost=Decimal("0.000000"),
            latency_ms=int((time.perf_counter() - started) * 1000),
            raw={"offline": True, "heuristic": handler.__name__, "answer": data.model_dump()},
            provider=self.provider,
            model=OFFLINE_MODEL,
            offline=True,
        )
