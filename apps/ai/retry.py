"""The AI layer's retry policy: `apps.core.retry` (tenacity) with the AI settings.

Only a `ProviderError` with `permanent=False` is retried (429 rate limits, 529 overloaded, 5xx,
timeouts, dropped connections); bad input (other 4xx), refusals and invalid answers fail at
once, and so do the `COME_BACK_LATER` codes: an exhausted limiter wait (`rate_limit_wait`: the
limiter already waited its maximum) and a budget that could not be checked
(`budget_unavailable`: Redis down, no call made). The caller, a Celery task, should put the
work back and come back later instead of failing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from apps.core import retry as core_retry
from apps.core.retry import call_with_retry, is_transient

__all__ = ["COME_BACK_LATER", "RetryPolicy", "call_with_retry", "is_transient"]

COME_BACK_LATER = frozenset({"rate_limit_wait", "budget_unavailable"})
NOT_RETRIED_HERE = COME_BACK_LATER


@dataclass(frozen=True)
class RetryPolicy(core_retry.RetryPolicy):
    not_retried: frozenset[str] = NOT_RETRIED_HERE

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            max_attempts=settings.AI_RETRY_MAX_ATTEMPTS,
            max_seconds=settings.AI_RETRY_MAX_SECONDS,
        )
