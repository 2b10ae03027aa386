"""Billing failures rendered by the API's exception handler and the dashboard."""

from apps.core.errors import ApplicationError


class PaymentRequired(ApplicationError, status=402, code="payment_required"):
    """The company is read-only or blocked until it pays (writes, or everything when blocked)."""


class QuotaExceeded(ApplicationError, status=402, code="quota_exceeded"):
    """A hard lead limit refused leads; `plan` names the cheapest plan that lifts it."""


class FormUnavailable(ApplicationError, status=403, code="form_unavailable"):
    """The company is blocked: its widget politely refuses new leads."""


class PaymentDeclined(ApplicationError, status=402, code="payment_declined"):
    """The provider declined a charge; the message is the card's reason, safe to show."""


class PaymentMethodRequired(ApplicationError, status=402, code="payment_method_required"):
    """A paid action needs a saved card (or credit) and the company has neither."""
