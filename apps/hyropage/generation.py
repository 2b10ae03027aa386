"""One page generation through the AI layer, with the configured model and its fallbacks.

`HYROPAGE_MODEL` is tried first, then each of `HYROPAGE_FALLBACK_MODELS` in order — but only
when the model itself is the problem: it is not found (retired), the API says it is
deprecated, or it kept answering 5xx / overloaded / timing out after the AI layer's own
retries. Bad input, refusals and invalid answers do not move to another model. Every attempt
is one `AIUsage` row (tokens, cost) written by `apps.ai`; the result names the model that
answered. With no Gemini key the labelled offline generator answers (offline.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings

from apps.ai.client import get_llm_client
from apps.ai.providers.base import ProviderError, StructuredRequest
from apps.hyropage.brief import Brief
from apps.hyropage.schema import PageContent

PURPOSE = "hyropage"
PROVIDER = "gemini"
# The model is unusable (retired, deprecated) or persistently failing: try the next one.
MODEL_UNUSABLE = frozenset({"not_found", "unpriced_model"})
PERSISTENT_FAILURE = frozenset({"server_error", "overloaded", "timeout", "connection_error"})
_DEPRECATION_WORDS = ("deprecat", "no longer available", "retired", "not supported for")


@dataclass
class Outcome:
    content: PageContent | None
    model_used: str = ""
    offline: bool = False
    models_tried: list[str] = field(default_factory=list)
    usage_ids: list[int] = field(default_factory=list)
    error: ProviderError | None = None


def model_chain() -> list[str]:
    """The configured model, then the fallbacks, without repeats."""
    chain = [settings.HYROPAGE_MODEL, *settings.HYROPAGE_FALLBACK_MODELS]
    return list(dict.fromkeys(model for model in chain if model))


def should_fall_back(error: ProviderError) -> bool:
    if error.code in MODEL_UNUSABLE or error.code in PERSISTENT_FAILURE:
        return True
    message = (error.message or "").lower()
    return error.code in ("bad_request", "client_error", "permission_denied") and any(
        word in message for word in _DEPRECATION_WORDS
    )


def _request(brief: Brief, tenant_id, model: str | None, purpose: str) -> StructuredRequest:
    return StructuredRequest(
        system=brief.system(),
        prompt=brief.prompt(),
        schema=PageContent,
        purpose=purpose,
        tenant_id=tenant_id,
        model=model,
        max_tokens=settings.HYROPAGE_MAX_TOKENS,
        temperature=settings.HYROPAGE_TEMPERATURE,
        context=brief.as_context(),
    )


def generate(
    brief: Brief, *, tenant_id, client=None, models: list[str] | None = None, purpose=PURPOSE
) -> Outcome:
    """The page for `brief`; `outcome.error` is the last failure when no model answered.
    `models` replaces the configured chain (the regression command pins one model)."""
    client = client or get_llm_client(PROVIDER)
    outcome = Outcome(content=None, offline=client.offline)
    chain = [None] if client.offline else (models or model_chain())
    for model in chain:
        outcome.models_tried.append(model or client.model)
        try:
            result = client.structured(_request(brief, tenant_id, model, purpose))
        except ProviderError as error:
            outcome.error = error
            if error.usage_id:
                outcome.usage_ids.append(error.usage_id)
            if not should_fall_back(error):
                break
            continue
        outcome.usage_ids.append(result.usage_id)
        outcome.content, outcome.model_used = result.data, result.model or model or client.model
        outcome.error = None
        break
    return outcome
