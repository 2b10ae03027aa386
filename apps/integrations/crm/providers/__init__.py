"""CRM adapters: one interface (base.CrmClient), one module per CRM."""

from __future__ import annotations

from apps.integrations.crm.providers.amocrm import AmoCrmClient
from apps.integrations.crm.providers.base import CrmClient
from apps.integrations.crm.providers.bitrix24 import Bitrix24Client


def client_for(connection, *, on_tokens=None, reload=None) -> CrmClient:
    """The adapter of the connection's CRM; `on_tokens(credentials)` saves refreshed tokens,
    `reload()` reads the stored ones."""
    if connection.provider == "amocrm":
        return AmoCrmClient(
            connection.account, connection.credentials, on_tokens=on_tokens, reload=reload
        )
    return Bitrix24Client(connection.credentials)
