"""AI enrichment of leads: runs, per-lead tasks and how results are written to a lead.

    services.enrichment_run_start(tenant=…, actor=…, lead_ids=[…] | list_id=… | filters={…})
    selectors.enrichment_run_get(tenant, run_id), selectors.enrichment_runs_for_lead(tenant, lead)

See services.py for the run's course (select, hash, price, authorize, fan out, settle) and
apply.py for what is written to a lead (never a hand-typed value).
"""
