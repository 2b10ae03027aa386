"""The tenant's suppression list: addresses that opted out (STOP, unsubscribe, «стоп»…)."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from apps.messaging.addresses import normalize
from apps.messaging.models import Suppression, SuppressionReason

# Whole-message opt-out words (case-insensitive, surrounding punctuation ignored).
OPT_OUT_WORDS = frozenset(
    {
        "stop",
        "stopall",
        "unsubscribe",
        "cancel",
        "end",
        "quit",
        "opt out",
        "optout",
        "стоп",
        "отписаться",
        "отписка",
        "отпишите",
        "отпишите меня",
    }
)
_PUNCT = re.compile(r"[\s!.,;:?¡¿\"'«»()\-]+")


def is_opt_out(text: str) -> bool:
    words = _PUNCT.sub(" ", (text or "").lower()).strip()
    return words in OPT_OUT_WORDS


def is_suppressed(tenant, kind: str, address: str) -> bool:
    value = normalize(kind, address)
    if not value:
        return False
    return Suppression.objects.for_tenant(tenant).filter(kind=kind, value=value).exists()


def suppression_reason(tenant, kind: str, value: str) -> str:
    """The reason code of a normalized address's suppression, or ""."""
    return (
        Suppression.objects.for_tenant(tenant)
        .filter(kind=kind, value=value)
        .values_list("reason", flat=True)
        .first()
        or ""
    )


def suppress(
    tenant, kind: str, address: str, *, reason: str = SuppressionReason.OPT_OUT, message=None
) -> bool:
    """Add an address (idempotent); True when it was not suppressed before."""
    value = normalize(kind, address)
    if not value:
        return False
    try:
        with transaction.atomic():
            _, created = Suppression.objects.get_or_create(
                tenant=tenant,
                kind=kind,
                value=value,
                defaults={"reason": reason, "source_message": message},
            )
    except IntegrityError:
        return False
    return created


def unsuppress(tenant, kind: str, address: str) -> int:
    value = normalize(kind, address)
    deleted, _ = Suppression.objects.for_tenant(tenant).filter(kind=kind, value=value).delete()
    return deleted
