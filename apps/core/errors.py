"""Expected business failures. Services raise these; views and the API render them."""

from typing import Any


class ApplicationError(Exception):
    """A failure the user can act on: a translated message, a stable code, an HTTP status."""

    status_code = 400
    default_code = "invalid"

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


class ValidationFailed(ApplicationError):
    status_code = 400
    default_code = "invalid"


class PermissionDenied(ApplicationError):
    status_code = 403
    default_code = "permission_denied"


class NotFound(ApplicationError):
    status_code = 404
    default_code = "not_found"


class Conflict(ApplicationError):
    status_code = 409
    default_code = "conflict"


class LimitReached(ApplicationError):
    status_code = 409
    default_code = "limit_reached"
