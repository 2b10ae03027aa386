"""What every step of a run shares: limits, the per-lead reasons shown to people, the AI client."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.utils.translation import gettext as _

from apps.ai.client import get_llm_client, provider_adapter
from apps.ai.providers.base import ProviderError
from apps.enrichment.models import LeadEnrichmentStatus

FEATURE = "enrichment"
CHARGE_KIND = "enrichment"
PROVIDER = "anthropic"
MAX_LEADS = 10_000
MAX_CLAIMS = 5  # a lead whose worker died this many times fails instead of looping
DIRECT_FANOUT = 200  # bigger runs are fanned out by a task, so the request returns at once
RECOVER_AFTER = timedelta(minutes=5)  # a run still pending this long is resolved by the beat
IDEMPOTENCY_WINDOW = timedelta(hours=24)
CHUNK = 1000

Status = LeadEnrichmentStatus
COUNTERS = {
    Status.ENRICHED: "leads_enriched",
    Status.NOTHING_FOUND: "leads_nothing_found",
    Status.FAILED: "leads_failed",
    Status.SKIPPED: "leads_skipped",
}
RETRY_LATER = "retry_later"
# Items whose answer was written: the lead's enrichment history (input hashes, AI values).
ANSWERED = (Status.ENRICHED, Status.NOTHING_FOUND)


# --- reasons (stored on rows, shown in the dashboard and the API) ---------------------------


def reason_unchanged() -> str:
    return _("Unchanged since the last enrichment.")


def reason_nothing_to_fill() -> str:
    return _("Nothing to fill: every field is already known or set by hand.")


def reason_busy() -> str:
    return _("Already being enriched by another run.")


def reason_feature_off() -> str:
    return _("The enrichment tool was switched off.")


def reason_processing_refused() -> str:
    return _("The person withdrew consent to the processing of their data.")


def reason_lead_deleted() -> str:
    return _("The lead was deleted.")


def reason_worker_lost() -> str:
    return _("The worker stopped several times while enriching this lead.")


def reason_provider(exc: ProviderError) -> str:
    return (_("AI provider: %(reason)s") % {"reason": exc.message})[:300]


# --- the client ------------------------------------------------------------------------------


def enrichment_client():
    """The managed LLM client the tasks use (tests and the bench replace it)."""
    return get_llm_client(PROVIDER)


def enrichment_offline() -> bool:
    """True when no API key is configured: runs use the labelled offline heuristic."""
    return provider_adapter(PROVIDER).offline


def mode_of(offline: bool) -> str:
    return "offline" if offline else PROVIDER


def chunks(ids: list[int], size: int = CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
