"""The adapter of a connection, wired to store refreshed tokens; errors in words for people."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils.translation import gettext_noop

from apps.core.crypto import decrypt_json
from apps.core.errors import ProviderError
from apps.core.stored_text import stored_text
from apps.integrations.crm.models import CrmConnection
from apps.integrations.crm.providers import client_for


def store_expiry(connection: CrmConnection) -> None:
    expires = connection.credentials.get("expires_at")
    connection.token_expires_at = datetime.fromtimestamp(int(expires), tz=UTC) if expires else None


def tokens_saver(connection: CrmConnection):
    """The `on_tokens` of an adapter: refreshed tokens stored (encrypted) at once."""

    def save(credentials: dict) -> None:
        connection.credentials = credentials
        store_expiry(connection)
        CrmConnection.objects.for_tenant(connection.tenant_id).filter(pk=connection.pk).update(
            credentials_encrypted=connection.credentials_encrypted,
            token_expires_at=connection.token_expires_at,
        )

    return save


def _stored(connection: CrmConnection):
    def reload() -> dict:
        row = CrmConnection.objects.for_tenant(connection.tenant_id).filter(pk=connection.pk)
        token = row.values_list("credentials_encrypted", flat=True).first()
        return decrypt_json(token) if token else {}

    return reload


def client(connection: CrmConnection):
    return client_for(connection, on_tokens=tokens_saver(connection), reload=_stored(connection))


def provider_message(exc: ProviderError) -> str:
    if exc.code in ("timeout", "connection_failed", "server_error", "rate_limited"):
        return stored_text(gettext_noop("The CRM did not answer. Try again in a few minutes."))
    return stored_text(gettext_noop("The CRM refused the request (%(code)s)."), code=exc.code)
