"""The period's lead counter: `UsageMeter.leads_used`, read in O(1).

Every plan keeps it: the quota meter (apps/billing/quotas.py) adds the new leads it reserves
in the ingestion transaction (merges are not new and do not count; what is not stored is
given back), so the meter is the number of leads created in the period. Deleting a lead does
not give it back: usage is what was taken in, on limited and unlimited plans alike.

Meters opened before the counter was kept on unlimited plans (and the meters unlimited plans
open, which may start after the period's first leads) are not `exact`: the first read counts
the period's leads once under the meter's row lock, and from then on the meter is maintained.
The row lock orders the count with the reservations: a reserving transaction holds it until
it commits (so its leads are committed before the count starts), a later one waits for the
count and adds on top of it.
"""

from __future__ import annotations

from django.db import transaction

from apps.billing.lead_counter import leads_created_between
from apps.billing.models import UsageMeter


def meter_leads_used(tenant, meter: UsageMeter) -> int:
    """The meter's count of leads created in its period (counted once if not yet exact)."""
    if meter.exact:
        return meter.leads_used
    return meter_count_once(tenant, meter.pk)


def meter_count_once(tenant, meter_id) -> int:
    with transaction.atomic():
        meter = UsageMeter.objects.for_tenant(tenant).select_for_update().get(pk=meter_id)
        if meter.exact:  # another reader counted while we waited for the lock
            return meter.leads_used
        used = leads_created_between(tenant, meter.period_start, meter.period_end)
        UsageMeter.objects.for_tenant(tenant).filter(pk=meter_id).update(
            leads_used=used, exact=True
        )
    return used
