"""Payment failures rendered by the API's exception handler and the dashboard."""

from apps.core.errors import ApplicationError


class ProviderUnavailable(ApplicationError, status=503, code="provider_unavailable"):
    """The chosen provider is down; `extra["alternatives"]` names the ones to offer instead."""


class RefundFailed(ApplicationError, status=502, code="refund_failed"):
    """The provider did not refund. A transient failure leaves the refund pending: the same
    call with the same key retries it; a refusal marks it failed."""
