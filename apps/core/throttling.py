"""DRF throttles counted by the one limiter (`apps.core.ratelimit`), keyed on
`apps.core.net.client_ip`.

DRF's own `get_ident` believes any X-Forwarded-For when NUM_PROXIES is unset, so a client could
dodge every per-IP limit by sending a new header each time; these take the address by the
project's one trusted-proxy rule instead. The rates, scopes and cache-key names stay DRF's
(`DEFAULT_THROTTLE_RATES`); only the counting (a sliding log, denied requests not counted,
as DRF's) goes through the shared limiter, so it is atomic on Redis. With Redis down they
fail open to a per-process limit (`DegradingLimiter`), so the API keeps answering.
"""

from rest_framework import throttling

from apps.core.net import client_ip
from apps.core.ratelimit import OnError, Rate
from apps.core.ratelimit_fallback import DegradingLimiter, LocalBackend

_limiter = DegradingLimiter("api", fallback=LocalBackend(), on_error=OnError.ALLOW, share=None)


class ClientIPIdentMixin:
    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"


class LimiterThrottleMixin:
    """`SimpleRateThrottle` whose history lives in the shared limiter."""

    limiter = _limiter
    _wait: float | None = None

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        decision = self.limiter.hit(self.key, Rate(self.num_requests, self.duration))
        self._wait = None if decision.allowed else decision.retry_after
        return decision.allowed

    def wait(self) -> float | None:
        return self._wait


class UserRateThrottle(ClientIPIdentMixin, LimiterThrottleMixin, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(ClientIPIdentMixin, LimiterThrottleMixin, throttling.AnonRateThrottle):
    pass
