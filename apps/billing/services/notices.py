"""Billing e-mails, sent after commit by a task on the billing queue."""

from __future__ import annotations

from django.db import transaction


def notice_enqueue(tenant, kind: str, **params) -> None:
    """Send a billing e-mail after commit, on the billing queue."""
    # tasks imports the services package, which imports this module: a cycle at load time.
    from apps.billing.tasks import send_billing_notice_task

    tenant_id = str(tenant.pk)
    transaction.on_commit(lambda: send_billing_notice_task.delay(tenant_id, kind, params))
