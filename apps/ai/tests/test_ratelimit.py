"""The shared limiter never grants more than its budget in any window, across threads and
processes: Redis when REDIS_URL is set (CI), else the cache fallback under a file lock."""

import multiprocessing
import threading
import time
import uuid

import pytest

from apps.ai.providers.base import ProviderError
from apps.ai.ratelimit import CacheBackend, RateLimiter, default_backend, get_rate_limiter

WINDOW = 1.0


def _max_in_window(times, window):
    times, best, start = sorted(times), 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.fixture
def make_limiter(shared_backend):
    def build(margin=0.05, **budget):
        return RateLimiter(
            window_seconds=WINDOW,
            margin_seconds=margin,
            backend=shared_backend,
            namespace=f"test-{uuid.uuid4().hex[:8]}",
            **{"requests_per_window": 0, "tokens_per_window": 0, **budget},
        )

    return build


def _grab(limiter, grants, tickets, lock, tokens=0):
    """Take tickets until none is left; each ticket is one acquire, stamped when granted."""
    while True:
        with lock:
            if tickets[0] <= 0:
                return
            tickets[0] -= 1
        permit = limiter.acquire("anthropic", tokens)
        with lock:
            grants.append(permit.granted_at)  # the backend's own grant time


def _threads(limiter, grants, count, n=8, tokens=0):
    tickets, lock = [count], threading.Lock()
    workers = [
        threading.Thread(target=_grab, args=(limiter, grants, tickets, lock, tokens))
        for _ in range(n)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)


def _never_waits(seconds: float) -> None:
    raise AssertionError(f"the call had to wait {seconds:.3f} s")


class _RecordedSleep:
    """Sleeps for real (other threads need the time to pass) and records what was asked."""

    def __init__(self):
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        time.sleep(seconds)


# Wall-clock durations depend on the machine's load; these tests read the backend's own grant
# times (Permit.granted_at) and the waits the limiter asked for instead.


def test_threads_never_exceed_the_request_budget_and_use_it_fully(make_limiter):
    # given 5 requests per second shared by 8 greedy threads
    limiter, grants = make_limiter(requests_per_window=5), []
    limiter.sleep = sleep = _RecordedSleep()
    # when they take 15 grants
    _threads(limiter, grants, 15)
    # then no 1-second window ever saw more than 5: 15 grants span at least two windows ...
    assert len(grants) == 15
    assert _max_in_window(grants, WINDOW) <= 5
    assert max(grants) - min(grants) >= 2 * WINDOW
    # ... and the budget was used, not wasted: a waiter never asks for more than the time
    # until the oldest grant leaves the window (1 s + the 0.05 s margin + 5 ms of jitter).
    assert sleep.asked and max(sleep.asked) <= WINDOW + 0.05 + 0.006


def test_spread_smooths_bursts_within_the_window(make_limiter):
    # 10 per second, spread over fifths: at most 2 in any 0.2 s, still 10 per second
    limiter, grants = make_limiter(requests_per_window=10, spread=5, margin=0.1), []
    limiter.sleep = sleep = _RecordedSleep()
    _threads(limiter, grants, 10)
    assert _max_in_window(grants, 0.2) <= 2
    assert _max_in_window(grants, WINDOW) <= 10
    # smoothing does not cost the budget: nobody waits for the whole window, only for the
    # next fifth of it (0.22 s with the margin, plus jitter)
    assert max(sleep.asked, default=0) <= (WINDOW + 0.1) / 5 + 0.006


def test_the_token_budget_is_shared_and_settled_to_actual_use(make_limiter):
    limiter = make_limiter(tokens_per_window=1000)
    limiter.sleep = _never_waits
    first = limiter.acquire("anthropic", 600)
    limiter.acquire("anthropic", 300)  # fits at once: 900
    # the first call really used 100 tokens: 500 more fit again at once
    first.settle(100)
    limiter.acquire("anthropic", 500)
    # 900 in the window now: 200 more must wait for the oldest grant to leave it
    limiter.sleep = time.sleep
    last = limiter.acquire("anthropic", 200)
    assert last.granted_at - first.granted_at >= WINDOW


def test_threads_never_exceed_the_token_budget(make_limiter):
    limiter, grants = make_limiter(tokens_per_window=1000), []
    _threads(limiter, grants, 9, n=6, tokens=300)  # 3 calls of 300 fit per window
    assert _max_in_window(grants, WINDOW) <= 3


def test_a_call_larger_than_the_whole_token_budget_is_refused_at_once(make_limiter):
    with pytest.raises(ProviderError) as caught:
        make_limiter(tokens_per_window=1000).acquire("anthropic", 1001)
    assert caught.value.permanent and caught.value.code == "over_token_budget"


def test_no_slot_within_the_maximum_wait_is_a_transient_failure(make_limiter):
    limiter = make_limiter(requests_per_window=1)
    limiter.max_wait_seconds = 0.2
    limiter.acquire("anthropic")
    with pytest.raises(ProviderError) as caught:
        limiter.acquire("anthropic")
    assert not caught.value.permanent and caught.value.code == "rate_limit_wait"


def test_providers_have_separate_budgets(make_limiter):
    limiter = make_limiter(requests_per_window=1)
    limiter.acquire("anthropic")
    limiter.sleep = _never_waits
    limiter.acquire("gemini")  # at once, although anthropic's only slot is taken


def test_a_provider_pause_holds_every_caller_back(make_limiter):
    limiter = make_limiter(requests_per_window=100)
    paused_at = time.time()  # the backends' clock (the cache's, or the local Redis server's)
    limiter.pause("anthropic", 0.5)
    permit = limiter.acquire("anthropic")
    assert permit.granted_at - paused_at >= 0.45


def test_settings_choose_the_budget_and_zero_means_no_limit(settings):
    settings.AI_REQUESTS_PER_MINUTE = 0
    settings.AI_TOKENS_PER_MINUTE = 0
    assert get_rate_limiter().backend is None
    settings.AI_REQUESTS_PER_MINUTE = 50
    limiter = get_rate_limiter()
    assert limiter.budget.requests == 50 and limiter.budget.window_ms == 60_600
    assert (limiter.budget.burst, limiter.budget.burst_ms) == (5, 6_060)


def _process_worker(namespace, use_file_cache, lock_dir, out, count):
    backend = CacheBackend(lock_dir=lock_dir) if use_file_cache else default_backend()
    limiter = RateLimiter(
        requests_per_window=4,
        window_seconds=WINDOW,
        margin_seconds=0.05,
        backend=backend,
        namespace=namespace,
    )
    grants: list[float] = []
    _threads(limiter, grants, count, n=3)
    out.put(grants)


def test_processes_share_one_budget(settings, tmp_path):
    # given two worker processes with three threads each, sharing 4 requests per second
    use_file_cache = not settings.REDIS_URL
    if use_file_cache:
        # the embedded default: a file cache shared by the processes of one machine
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(tmp_path / "cache"),
            }
        }
    context = multiprocessing.get_context("fork")
    out, namespace = context.Queue(), f"test-{uuid.uuid4().hex[:8]}"
    args = (namespace, use_file_cache, tmp_path / "locks", out, 6)
    workers = [context.Process(target=_process_worker, args=args) for _ in range(2)]
    # when each takes 6 grants
    for worker in workers:
        worker.start()
    grants = out.get(timeout=30) + out.get(timeout=30)
    for worker in workers:
        worker.join(timeout=10)
    # then 12 grants never put more than 4 into any second
    assert len(grants) == 12
    assert _max_in_window(grants, WINDOW) <= 4
