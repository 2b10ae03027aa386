"""AI enrichment runs: select, decide, price, authorize, fan out, apply, settle.

    enrichment_run_start(tenant=…, actor=…, lead_ids=[…] | list_id=… | filters={…})

The course of a run, one module per step:

1. start.py + selection.py: select the leads (ids, a list or the dashboard's filter; at most
   `MAX_LEADS`) and decide per lead from its input hash (hashing.py): unchanged since its last
   enrichment -> skipped (unless forced); nothing left to fill -> skipped; already queued in
   another run -> skipped; the rest is billable. The run and its rows are written in bulk.
2. charge.py: the price (plan's enrichment price × billable) is authorized through billing
   with the key `enrichment-run-<run id>` BEFORE any work. A decline (or no way to pay) marks
   the run declined, skips every lead with the reason, queues nothing and re-raises the error.
3. queue.py + items.py: one `enrich_lead_task` per billable lead on the `ai` queue; each claims
   its row, calls the model outside any transaction, and writes the result, the lead
   (apply.py: never a hand-typed value) and the run's counters in one transaction.
4. settle.py: the item that completes the run flips it to done, totals its AI cost, and the
   settle gives back (refunds) the failed and skipped leads through billing, once.
5. recovery.py: the beat queues again the leads whose worker died and whose message was lost.

Charging happens once per run, before fan-out; tasks never charge.
"""

from apps.enrichment.services.charge import billing_reference, enrichment_runs_recover_stale
from apps.enrichment.services.common import (
    FEATURE,
    MAX_CLAIMS,
    MAX_LEADS,
    RETRY_LATER,
    enrichment_offline,
)
from apps.enrichment.services.items import (
    enrichment_item_locked,
    enrichment_item_process,
    enrichment_item_skip,
)
from apps.enrichment.services.queue import enrichment_run_fan_out
from apps.enrichment.services.recovery import (
    enrichment_items_requeue_stuck,
    enrichment_runs_settle_unsettled,
)
from apps.enrichment.services.selection import enrichment_decisions, lead_histories
from apps.enrichment.services.settle import enrichment_run_settle
from apps.enrichment.services.start import enrichment_run_start

__all__ = [
    "FEATURE",
    "MAX_CLAIMS",
    "MAX_LEADS",
    "RETRY_LATER",
    "billing_reference",
    "enrichment_decisions",
    "enrichment_item_locked",
    "enrichment_item_process",
    "enrichment_item_skip",
    "enrichment_items_requeue_stuck",
    "enrichment_offline",
    "enrichment_run_fan_out",
    "enrichment_run_settle",
    "enrichment_run_start",
    "enrichment_runs_recover_stale",
    "enrichment_runs_settle_unsettled",
    "lead_histories",
]
