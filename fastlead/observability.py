"""Error reporting to Sentry when SENTRY_DSN is set (nothing is sent otherwise).

No personal data leaves: `send_default_pii` is off (no cookies, user ids, IP addresses or
request bodies), stack frames go without their local variables, and every event passes
through `scrub`, which drops what the SDK would still attach from the request. For tenants
whose data must stay in Russia, leave SENTRY_DSN empty or point it at a self-hosted Sentry
inside the country (docs/deploy.md).
"""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

_DROPPED_REQUEST_KEYS = ("cookies", "data", "headers", "query_string", "env")


def scrub(event, hint):
    request = event.get("request")
    if isinstance(request, dict):
        for key in _DROPPED_REQUEST_KEYS:
            request.pop(key, None)
    event.pop("user", None)
    return event


def init_sentry(dsn: str, *, environment: str, release: str, traces_sample_rate: float) -> bool:
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        include_local_variables=False,  # a frame's variables may hold a lead or a message
        traces_sample_rate=traces_sample_rate,
        before_send=scrub,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
    return True
