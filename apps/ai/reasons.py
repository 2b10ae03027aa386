"""User-facing wording of AI failures: show `reason_label(error.code)`, keep the technical
`error.message` for staff (it is stored on `AIUsage.error_message`)."""

from django.utils.translation import gettext_lazy as _

REASONS = {
    "rate_limited": _("The AI provider is busy (rate limit). Try again later."),
    "rate_limit_wait": _("Too many AI requests at once. Try again later."),
    "budget_unavailable": _("The AI budget could not be checked just now. Try again later."),
    "overloaded": _("The AI provider is overloaded. Try again later."),
    "server_error": _("The AI provider had an internal error."),
    "timeout": _("The AI provider did not answer in time."),
    "connection_error": _("Could not reach the AI provider."),
    "malformed_response": _("The AI provider sent a broken response."),
    "malformed_json": _("The AI answer was not valid JSON and was discarded."),
    "schema_violation": _("The AI answer did not match the expected format and was discarded."),
    "truncated": _("The AI answer was cut off and was discarded."),
    "empty_answer": _("The AI returned no answer."),
    "refused": _("The AI declined to answer."),
    "bad_request": _("The AI provider rejected the request."),
    "authentication_failed": _("The AI provider rejected the API key."),
    "permission_denied": _("The AI provider denied access."),
    "over_token_budget": _("The request is larger than the AI token budget."),
    "unpriced_model": _("The AI model has no configured price."),
    "offline_unavailable": _("No AI provider is configured for this task."),
}
DEFAULT_REASON = _("The AI request failed.")


def reason_label(code: str):
    """A translated, user-safe sentence for a ProviderError code."""
    return REASONS.get(code, DEFAULT_REASON)
