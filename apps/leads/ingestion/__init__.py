"""Lead ingestion: validate submissions, resolve identity, store leads, actions and timeline.

Every entry point (widget, API, file import) goes through `ingest_leads`.
"""

from apps.leads.ingestion.service import IngestOutcome, ItemResult, ingest_leads

__all__ = ["IngestOutcome", "ItemResult", "ingest_leads"]
