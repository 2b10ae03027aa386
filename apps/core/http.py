"""The one HTTP client for outside services: always with timeouts, never logging bodies."""

import httpx
from django.conf import settings

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)


def make_client(
    *,
    base_url: str = "",
    timeout: httpx.Timeout | float | None = None,
    headers: dict | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        timeout=timeout or DEFAULT_TIMEOUT,
        headers={"User-Agent": f"FastLead/1.0 (+{settings.SITE_URL})", **(headers or {})},
        transport=transport,
    )
