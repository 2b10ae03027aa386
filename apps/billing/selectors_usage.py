"""Reads of the billing page's "Paid actions" section: the company's recent paid-action
charges (AI enrichment, …) with what was given back, newest first."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from apps.billing.models import UsageCharge

RECENT_CHARGES = 20
ACTION_LABELS = {"enrichment": _("AI enrichment")}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def usage_charge_list(tenant, limit: int = RECENT_CHARGES) -> list[UsageCharge]:
    """The recent charges (one query). Each gets `action_label` and, for an enrichment,
    `run_id` (the run its reference names) so the page can link to the run."""
    charges = list(UsageCharge.objects.for_tenant(tenant).order_by("-created_at", "-pk")[:limit])
    for charge in charges:
        charge.action_label = ACTION_LABELS.get(charge.kind, charge.kind)
        match = _UUID.search(charge.reference or "") if charge.kind == "enrichment" else None
        charge.run_id = match.group(0).lower() if match else None
    return charges
