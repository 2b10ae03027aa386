"""Retry of transient provider failures: exponential backoff with jitter, `retry-after` honoured.

Only a `ProviderError` with `permanent=False` is retried (429 rate limits, 529 overloaded, 5xx,
timeouts, dropped connections); bad input (other 4xx), refusals and invalid answers fail at
once. Attempts and total time are both bounded: a wait that would end past the time budget
is not started, the last error is raised instead.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity
from django.conf import settings

from apps.ai.providers.base import ProviderError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    max_seconds: float = 120.0  # from the first attempt; no wait may end past it
    base_delay: float = 1.0  # first backoff, doubled per attempt
    max_delay: float = 30.0  # cap of one backoff (a longer retry-after is still honoured)

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            max_attempts=settings.AI_RETRY_MAX_ATTEMPTS,
            max_seconds=settings.AI_RETRY_MAX_SECONDS,
        )


# Transient, but not worth another attempt here: the limiter already waited its maximum, so
# the caller (a Celery task) should come back later instead.
_NOT_RETRIED_HERE = {"rate_limit_wait"}


def is_transient(exc: BaseException) -> bool:
    return (
        isinstance(exc, ProviderError) and not exc.permanent and exc.code not in _NOT_RETRIED_HERE
    )


class wait_backoff_or_retry_after(tenacity.wait.wait_base):
    """Equal-jitter exponential backoff; the provider's `retry-after` when it sent one (plus
    up to 10 % jitter so that workers told the same moment do not return in lockstep)."""

    def __init__(self, policy: RetryPolicy, rng: random.Random | None = None):
        self.policy = policy
        self.rng = rng or random.Random()

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        hint = getattr(exc, "retry_after", None)
        if hint is not None and hint >= 0:
            return hint + self.rng.uniform(0, min(1.0, hint * 0.1))
        step = min(
            self.policy.max_delay, self.policy.base_delay * 2 ** (retry_state.attempt_number - 1)
        )
        return step / 2 + self.rng.uniform(0, step / 2)


def call_with_retry(
    func: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[ProviderError, float], None] | None = None,
) -> T:
    """Call `func` until it succeeds, fails permanently or the policy's budget is spent.

    The raised `ProviderError` carries `attempts`, the number of calls made.
    """

    def before_sleep(retry_state: tenacity.RetryCallState) -> None:
        if on_retry is not None:
            on_retry(retry_state.outcome.exception(), retry_state.upcoming_sleep)

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_transient),
        stop=(
            tenacity.stop_after_attempt(policy.max_attempts)
            | tenacity.stop_before_delay(policy.max_seconds)
        ),
        wait=wait_backoff_or_retry_after(policy),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    attempts = 0

    def counted() -> T:
        nonlocal attempts
        attempts += 1
        return func()

    try:
        return retrying(counted)
    except ProviderError as exc:
        exc.attempts = attempts
        raise
