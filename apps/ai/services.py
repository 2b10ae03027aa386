"""Writes of the AI layer: the usage log."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import structlog

from apps.ai.models import AIUsage

logger = structlog.get_logger("fastlead.ai")


def ai_usage_record(*, tenant_id: Any, **fields: Any) -> AIUsage:
    """Record one LLM call (all its attempts) with tokens, cost, latency and outcome.

    A tenant's call goes through the scoped manager, so inside another tenant's scope it fails
    closed; a platform call (`tenant_id=None`) takes the explicit unscoped path. The reason is
    cut to the column and holds no personal data (adapters never put answers or prompts in it).
    """
    fields["error_message"] = (fields.get("error_message") or "")[:500]
    fields["error_code"] = (fields.get("error_code") or "")[:40]
    fields["cost"] = Decimal(fields.get("cost") or 0)
    if tenant_id is None:
        usage = AIUsage.objects.unscoped().create(tenant=None, **fields)
    else:
        usage = AIUsage.objects.create(tenant_id=tenant_id, **fields)
    logger.info(
        "ai_call",
        usage_id=usage.pk,
        tenant_id=str(tenant_id) if tenant_id else None,
        purpose=usage.purpose,
        provider=usage.provider,
        model_version=usage.model_version,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=str(usage.cost),
        latency_ms=usage.latency_ms,
        attempts=usage.attempts,
        outcome=usage.outcome,
        error_code=usage.error_code or None,
    )
    return usage
