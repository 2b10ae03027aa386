"""The one retry policy for calls to outside services (tenacity); Celery tasks use Celery's own
`self.retry`. No module writes its own backoff loop.

Only a `ProviderError` with `permanent=False` is retried (rate limits, overload, 5xx,
timeouts, dropped connections); a permanent one (bad input, a decline, a refusal) fails at
once. The wait is exponential with equal jitter (half the step fixed, half random), capped at
`max_delay`; when the provider said how long to wait (`retry_after`), that wait is honoured
even above the cap, plus up to 10 % jitter so that callers told the same moment do not return
in lockstep. Attempts and total time are both bounded: a wait that would end past
`max_seconds` is not started, the last error is raised instead, carrying `attempts`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from apps.core.errors import ProviderError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    max_seconds: float = 120.0  # from the first attempt; no wait may end past it
    base_delay: float = 1.0  # first backoff, doubled per attempt
    max_delay: float = 30.0  # cap of one backoff (a longer retry-after is still honoured)
    # Transient codes not worth another attempt at this level (the caller comes back later).
    not_retried: frozenset[str] = frozenset()


def is_transient(exc: BaseException, not_retried: Collection[str] = ()) -> bool:
    return isinstance(exc, ProviderError) and not exc.permanent and exc.code not in not_retried


class wait_retry_after(tenacity.wait.wait_base):
    """The provider's `retry_after` hint (plus up to 10 % jitter) when the failure carries
    one, else the `fallback` wait."""

    def __init__(self, fallback: tenacity.wait.wait_base, rng: random.Random | None = None):
        self.fallback = fallback
        self.rng = rng or random.Random()

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        hint = getattr(exc, "retry_after", None)
        if hint is not None and hint >= 0:
            return hint + self.rng.uniform(0, min(1.0, hint * 0.1))
        return self.fallback(retry_state)


def backoff_wait(policy: RetryPolicy) -> tenacity.wait.wait_base:
    """Equal jitter from tenacity's own waits: step/2 + uniform(0, step/2), where
    step = min(max_delay, base_delay * 2 ** (attempt - 1)); the provider's hint wins."""
    half, cap = policy.base_delay / 2, policy.max_delay / 2
    return wait_retry_after(
        tenacity.wait_exponential(multiplier=half, max=cap)
        + tenacity.wait_random_exponential(multiplier=half, max=cap)
    )


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
        retry=tenacity.retry_if_exception(lambda exc: is_transient(exc, policy.not_retried)),
        stop=(
            tenacity.stop_after_attempt(policy.max_attempts)
            | tenacity.stop_before_delay(policy.max_seconds)
        ),
        wait=backoff_wait(policy),
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
