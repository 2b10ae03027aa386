"""Enrichment's heuristic for the offline AI provider (no API key configured).

It fills only what the lead's own data proves: the company's domain and website from a
corporate e-mail address — never from a free-mail domain — and marks everything else
"not determined". Registered with apps.ai at start-up (apps.py).
"""

from __future__ import annotations

from apps.ai.providers.base import StructuredRequest
from apps.ai.providers.offline import corporate_domain, register_offline_handler
from apps.enrichment.prompt import EnrichmentOutput


def enrich_from_own_data(request: StructuredRequest) -> EnrichmentOutput:
    """Company and website from a corporate e-mail domain; nothing else is determined."""
    lead = request.context.get("lead") or {}
    domain = corporate_domain(str(lead.get("email", "")))
    if domain is None:
        return EnrichmentOutput.not_determined()
    # The domain is what the address proves; the legal name of the company is not.
    return EnrichmentOutput.not_determined(
        company=(domain, 1.0), website=(f"https://{domain}", 1.0)
    )


def register() -> None:
    register_offline_handler(EnrichmentOutput, enrich_from_own_data)
