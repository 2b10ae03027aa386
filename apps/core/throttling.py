"""DRF throttles keyed on `apps.core.net.client_ip`.

DRF's own `get_ident` believes any X-Forwarded-For when NUM_PROXIES is unset, so a client could
dodge every per-IP limit by sending a new header each time; these take the address by the
project's one trusted-proxy rule instead.
"""

from rest_framework import throttling

from apps.core.net import client_ip


class ClientIPIdentMixin:
    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"


class UserRateThrottle(ClientIPIdentMixin, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(ClientIPIdentMixin, throttling.AnonRateThrottle):
    pass
