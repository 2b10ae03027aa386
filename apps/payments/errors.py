"""Payment failures rendered by the API's exception handler and the dashboard."""

from apps.core.errors import ApplicationError


class ProviderUnavailable(ApplicationError):
    """The chosen provider is down; `extra["alternatives"]` names the ones to offer instead."""

    status_code = 503
    default_code = "provider_unavailable"


class RefundFailed(ApplicationError):
    """The provider did not refund. A transient failure leaves the refund pending: the same
    call with the same key retries it; a refusal marks it failed."""

    status_code = 502
    default_code = "refund_failed"
