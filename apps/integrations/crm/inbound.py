"""The CRMs' webhooks into us. Neither signs its requests: the connection is named by the
secret token in our URL (and Bitrix24's `auth[application_token]` is checked too), and the
deal is read back from the CRM before anything changes (a PULL job), so a forged or repeated
request can at most make us re-read a deal."""

from __future__ import annotations

import hmac

from django.http import Http404

from apps.core.errors import PermissionDenied
from apps.integrations.crm.models import CrmConnection, Provider
from apps.integrations.crm.queue import jobs_queue
from apps.integrations.crm.sync import deals_changed
from apps.tenants.scoping import tenant_scope, unscoped_scope

MAX_ITEMS = 100


def _connection(provider: str, token: str) -> CrmConnection:
    with unscoped_scope():
        connection = (
            CrmConnection.objects.filter(inbound_token=token, provider=provider)
            .select_related("tenant")
            .first()
        )
    if connection is None or not token:
        raise Http404
    return connection


def _indexed(data, prefix: str) -> list[str]:
    """`leads[status][0][id]`, `leads[status][1][id]`, … in order."""
    found = []
    for i in range(MAX_ITEMS):
        value = data.get(f"{prefix}[{i}][id]")
        if value is None:
            break
        found.append(str(value))
    return found


def amocrm_webhook(token: str, data) -> int:
    """`leads[status][i][id]` (and `leads[update]`) from an amoCRM account: the deals to
    re-read. A request for another account than the connected one is refused."""
    connection = _connection(Provider.AMOCRM, token)
    subdomain = data.get("account[subdomain]")
    if subdomain is not None and subdomain.lower() != connection.account:
        raise PermissionDenied("account mismatch", code="crm_account_mismatch")
    deal_ids = list(
        dict.fromkeys(
            [d for d in _indexed(data, "leads[status]") + _indexed(data, "leads[update]") if d]
        )
    )
    return _queue(connection, deal_ids)


def bitrix24_webhook(token: str, data) -> int:
    """`ONCRMDEALUPDATE` with `data[FIELDS][ID]` and `auth[application_token]`."""
    connection = _connection(Provider.BITRIX24, token)
    expected = connection.credentials.get("application_token", "")
    given = data.get("auth[application_token]", "")
    if not expected or not hmac.compare_digest(str(expected), str(given)):
        raise PermissionDenied("application token mismatch", code="crm_token_mismatch")
    if str(data.get("event", "")).upper() != "ONCRMDEALUPDATE":
        return 0
    deal_id = str(data.get("data[FIELDS][ID]", "") or "")
    return _queue(connection, [deal_id] if deal_id.isdigit() else [])


def _queue(connection: CrmConnection, deal_ids: list[str]) -> int:
    deal_ids = [d for d in deal_ids if d.isdigit()][:MAX_ITEMS]
    if not deal_ids:
        return 0
    with tenant_scope(connection.tenant):
        jobs = deals_changed(connection, deal_ids)
        jobs_queue(connection.tenant_id, jobs)
    return len(jobs)
