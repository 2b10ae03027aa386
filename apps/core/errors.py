"""Expected business failures. Services raise these; views and the API render them."""

from typing import Any

from django.http import Http404


class ApplicationError(Exception):
    """A failure the user can act on: a translated message, a stable code, an HTTP status."""

    status_code = 400
    default_code = "invalid"

    def __init_subclass__(cls, status: int | None = None, code: str | None = None, **kwargs):
        """A subclass names its HTTP status and code in its header:
        `class Conflict(ApplicationError, status=409, code="conflict")`."""
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status_code = status
        if code is not None:
            cls.default_code = code

    def __init__(
        self,
        message: str,
        code: str | None = None,
        *,
        fields: dict[str, list[str]] | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = str(message)
        self.code = code or self.default_code
        self.fields = fields or {}
        self.extra = extra or {}
        if status is not None:
            self.status_code = status


class ValidationFailed(ApplicationError, status=400, code="invalid"):
    """Input the user can correct."""


class PermissionDenied(ApplicationError, status=403, code="permission_denied"):
    """The user may not do this."""


class NotFound(ApplicationError, status=404, code="not_found"):
    """A business "not found" with its own message and code (e.g. an invalid confirmation
    link). A selector that finds no such object raises `ObjectNotFound` instead."""


class ObjectNotFound(Http404):
    """The one way a selector says "not found". Selectors are scoped getters: a missing
    object and another tenant's object both raise `ObjectNotFound`, so a foreign id reveals
    nothing. It is an `Http404`, so it answers exactly as Django's: the 404 page (or the JSON
    404 under /api/ and /webhooks/), and `{"error": {"code": "not_found", "message": "Not
    found."}}` from the API; and it is not an `ApplicationError`, so a view that turns business
    errors into form messages never swallows it."""


class Conflict(ApplicationError, status=409, code="conflict"):
    """The action clashes with the current state (a stale version, a taken slot)."""


class LimitReached(ApplicationError, status=409, code="limit_reached"):
    """A count limit (of the plan, of the company) is reached."""


class ProviderError(Exception):
    """A call to an outside service failed: AI providers, payment gateways, channels, the
    call platform. One class for all of them (adapters may subclass it to carry more).

    `permanent` says retrying the same call cannot help (a decline, a refusal, bad input);
    otherwise retry after `retry_after` seconds (the provider's hint) or with backoff.
    `code` is short and stable (`rate_limited`, `timeout`, `server_error`, `declined`, ...);
    `message` is a reason safe to store on a row (no personal data, no secrets);
    `user_message` is safe to show the user; `status` is the provider's HTTP status if any.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        code: str = "provider_error",
        status: int | None = None,
        user_message: str = "",
        raw: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.code = code
        self.status = status
        self.user_message = user_message
        self.raw = raw or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
