"""Billing e-mails, sent after commit by a task on the billing queue."""

from __future__ import annotations

from django.db import transaction

from apps.billing.notice_tasks import send_billing_notice_task


def notice_enqueue(tenant, kind: str, **params) -> None:
    """Send a billing e-mail after commit, on the billing queue."""
    tenant_id = str(tenant.pk)
    transaction.on_commit(lambda: send_billing_notice_task.delay(tenant_id, kind, params))
