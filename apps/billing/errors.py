"""Billing failures rendered by the API's exception handler and the dashboard."""

from apps.core.errors import ApplicationError


class PaymentRequired(ApplicationError):
    """The company is read-only or blocked until it pays (writes, or everything when blocked)."""

    status_code = 402
    default_code = "payment_required"


class QuotaExceeded(ApplicationError):
    """A hard lead limit refused leads; `plan` names the cheapest plan that lifts it."""

    status_code = 402
    default_code = "quota_exceeded"


class FormUnavailable(ApplicationError):
    """The company is blocked: its widget politely refuses new leads."""

    status_code = 403
    default_code = "form_unavailable"


class PaymentDeclined(ApplicationError):
    """The provider declined a charge; the message is the card's reason, safe to show."""

    status_code = 402
    default_code = "payment_declined"


class PaymentMethodRequired(ApplicationError):
    """A paid action needs a saved card (or credit) and the company has neither."""

    status_code = 402
    default_code = "payment_method_required"
