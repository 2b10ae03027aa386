"""The retry policy on its own: what is retried, how long it waits, when it gives up."""

import pytest
from django.utils import translation

from apps.ai.providers.base import ProviderError
from apps.ai.reasons import DEFAULT_REASON, reason_label
from apps.ai.retry import RetryPolicy, call_with_retry


def _failing(*errors, result="done"):
    queue = list(errors)

    def call():
        if queue:
            raise queue.pop(0)
        return result

    return call


def _transient(code="server_error", retry_after=None):
    return ProviderError("boom", permanent=False, code=code, retry_after=retry_after)


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    waits = []
    policy = RetryPolicy(max_attempts=6, max_seconds=1000, base_delay=1, max_delay=4)
    call_with_retry(_failing(*[_transient() for _ in range(5)]), policy, sleep=waits.append)
    bounds = [(0.5, 1), (1, 2), (2, 4), (2, 4), (2, 4)]
    assert all(low <= wait <= high for wait, (low, high) in zip(waits, bounds, strict=True))


def test_retry_after_is_honoured_even_above_the_backoff_cap():
    waits = []
    policy = RetryPolicy(max_attempts=3, max_seconds=1000, max_delay=4)
    call_with_retry(
        _failing(_transient("rate_limited", retry_after=20)), policy, sleep=waits.append
    )
    assert 20 <= waits[0] <= 21


def test_permanent_errors_and_an_exhausted_limiter_wait_are_not_retried():
    for error in (
        ProviderError("bad", permanent=True, code="bad_request"),
        ProviderError("busy", permanent=False, code="rate_limit_wait"),
    ):
        waits = []
        with pytest.raises(ProviderError) as caught:
            call_with_retry(_failing(error), RetryPolicy(), sleep=waits.append)
        assert caught.value.attempts == 1 and waits == []


def test_attempts_are_bounded_and_counted_on_the_error():
    with pytest.raises(ProviderError) as caught:
        call_with_retry(
            _failing(*[_transient() for _ in range(9)]),
            RetryPolicy(max_attempts=3),
            sleep=lambda s: None,
        )
    assert caught.value.attempts == 3


def test_user_facing_reasons_exist_for_codes_with_a_fallback():
    with translation.override("en"):
        assert "rate limit" in str(reason_label("rate_limited"))
    assert reason_label("no-such-code") == DEFAULT_REASON
