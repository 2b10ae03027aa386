"""Asked before any CRM work on a lead event: does the company have a CRM connection at all?
Cached per tenant (apps/core/tenant_flags.py), invalidated by every save or delete of a
connection (wired in apps/integrations/wiring.py); a company without one costs each lead event
one cache read, not a query."""

from __future__ import annotations

from apps.core.tenant_flags import TenantFlag
from apps.integrations.crm.models import CrmConnection

HAS_CONNECTION = TenantFlag(
    "crm-connection", lambda tenant_id: CrmConnection.objects.for_tenant(tenant_id).exists()
)
