"""Upsell radar's writes, one module per job. Case statuses move only through
`apps.upsell.transitions.case_transition`.

- configuration.py: the tenant's thresholds, webhook secret and product catalogue
- intake.py: tickets in, their classification, and the case (and lead) a signal opens
- decisions.py: drafts edited, the case approved (outreach queued) or rejected
- won.py: the case marked won, with the amount when known

Import the module you need, e.g. `from apps.upsell.services.decisions import case_approve`.
"""
