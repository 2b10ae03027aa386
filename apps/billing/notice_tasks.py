"""Celery entry point of the billing e-mails (queued by services/notices.py after commit).

Apart from tasks.py, whose tasks run the services that queue these e-mails; the name is the
one it had there, so queued messages and the route to the billing queue still reach it.
"""

from __future__ import annotations

from apps.billing.emails import send_billing_notice
from apps.tenants.tasking import tenant_task


@tenant_task(name="apps.billing.tasks.send_billing_notice_task", ignore_result=True)
def send_billing_notice_task(tenant, kind: str, params: dict) -> int:
    return send_billing_notice(tenant, kind, params)
