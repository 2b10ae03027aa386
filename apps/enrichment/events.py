"""What enrichment tells the apps above it (DESIGN.md, the layers): emitted, subscribed in an
app's wiring.py without enrichment naming the subscriber."""

from dataclasses import dataclass
from typing import ClassVar

from apps.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class EnrichmentRunFinished(DomainEvent):
    """A run is done: every selected lead was enriched, found nothing, failed or was skipped
    (a run with nothing to enrich is done at once). Its charge settles separately."""

    name: ClassVar[str] = "enrichment_run_finished"
    tenant_id: str
    run_id: str
