"""The one HTTP client for outside services: always with timeouts, never logging bodies."""

import email.utils
import functools
import ssl
import time

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
        verify=tls_context(),
    )


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The process's one TLS context (httpx's defaults: the CA bundle, SSL_CERT_FILE /
    SSL_CERT_DIR honoured). httpx builds a new one for every client, and loading the CA
    bundle cost 40 ms of CPU, more than most calls: a message sent by a worker thread paid it
    each time. A context is safe to share between clients and threads."""
    return httpx.create_ssl_context()


def retry_after_seconds(headers) -> float | None:
    """Seconds from `retry-after-ms`, or `retry-after` in seconds or as an HTTP date."""
    try:
        if headers.get("retry-after-ms"):
            return max(float(headers["retry-after-ms"]) / 1000, 0.0)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(float(value), 0.0)
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(when.timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None
