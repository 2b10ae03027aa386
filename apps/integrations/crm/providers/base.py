"""The CRM interface (dataclasses in and out; vendor JSON never leaves an adapter) and the
guarded HTTP call every adapter makes: the SSRF check of apps/integrations/targets.py on each
call, the connection made to the checked address, and the one retry policy (apps/core/retry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import httpx
from django.utils.translation import gettext_noop

from apps.core.errors import ProviderError
from apps.core.http import make_client, retry_after_seconds
from apps.core.retry import RetryPolicy, call_with_retry
from apps.core.stored_text import stored_text
from apps.integrations.targets import TargetRefused, target_check

TIMEOUT = httpx.Timeout(connect=5.0, read=15.0, write=10.0, pool=5.0)
# Short in-call retries for 429/5xx; what is left is retried by the job's backoff schedule.
RETRY = RetryPolicy(max_attempts=3, max_seconds=15.0, base_delay=0.5, max_delay=4.0)


@dataclass(frozen=True)
class Stage:
    id: str
    name: str


@dataclass(frozen=True)
class Pipeline:
    id: str
    name: str
    stages: list[Stage] = field(default_factory=list)


@dataclass(frozen=True)
class DealRef:
    deal_id: str
    contact_id: str = ""


@dataclass(frozen=True)
class DealState:
    deal_id: str
    pipeline_id: str
    stage_id: str
    modified_at: datetime


@dataclass
class DealDraft:
    """What a new lead becomes: the contact's and the deal's fields (already mapped)."""

    marker: str  # our reference, findable in the CRM ("FL-123"): a retry looks it up first
    title: str
    pipeline_id: str
    stage_id: str
    contact: dict = field(default_factory=dict)
    deal: dict = field(default_factory=dict)


class CrmClient(Protocol):
    def pipelines(self) -> list[Pipeline]: ...

    def find_deal(self, marker: str) -> DealRef | None: ...

    def create_deal(
        self, draft: DealDraft, *, contact_id: str = "", on_contact: Callable | None = None
    ) -> DealRef: ...

    def move_deal(self, deal_id: str, *, pipeline_id: str, stage_id: str) -> datetime: ...

    def deal_state(self, deal_id: str) -> DealState: ...


def auth_error(crm: str, detail: str = "") -> ProviderError:
    message = stored_text(
        gettext_noop("%(crm)s refused our credentials: reconnect the CRM."), crm=crm
    )
    return ProviderError(
        f"{crm}: credentials refused {detail}".strip()[:300],
        permanent=True,
        code="auth_failed",
        status=401,
        user_message=message,
    )


def _send(method: str, url: str, **kwargs) -> httpx.Response:
    target = target_check(url)
    parsed = httpx.URL(url)
    connect_to = parsed.copy_with(host=target.address)
    host = target.host if parsed.port is None else f"{target.host}:{parsed.port}"
    headers = {**kwargs.pop("headers", {}), "Host": host}
    with make_client(timeout=TIMEOUT) as client:
        return client.request(
            method,
            connect_to,
            headers=headers,
            extensions={"sni_hostname": target.host},
            follow_redirects=False,
            **kwargs,
        )


def request(crm: str, method: str, url: str, **kwargs) -> httpx.Response:
    """One call with the house retries; 429/5xx/timeouts that outlast them and refusals raise
    ProviderError. 4xx answers are returned: the adapter reads the vendor's error body."""

    def once() -> httpx.Response:
        try:
            response = _send(method, url, **kwargs)
        except TargetRefused as exc:
            raise ProviderError(
                f"{crm}: target refused",
                permanent=True,
                code="target_refused",
                user_message=exc.message,
            ) from None
        except httpx.TimeoutException:
            raise ProviderError(f"{crm}: timeout", code="timeout") from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"{crm}: {type(exc).__name__}", code="connection_failed") from None
        if response.status_code == 429:
            raise ProviderError(
                f"{crm}: rate limited",
                code="rate_limited",
                status=429,
                retry_after=retry_after_seconds(response.headers),
            )
        if response.status_code >= 500:
            raise ProviderError(
                f"{crm}: server error {response.status_code}",
                code="server_error",
                status=response.status_code,
            )
        return response

    return call_with_retry(once, RETRY)


def json_of(crm: str, response: httpx.Response) -> dict | list:
    try:
        return response.json()
    except ValueError:
        raise ProviderError(
            f"{crm}: answer {response.status_code} is not JSON",
            code="bad_answer",
            status=response.status_code,
        ) from None
