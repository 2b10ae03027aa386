"""Where tenants keeps one of our users' data (apps/core/personal_data.py): invitations sent to
their address and the name the audit log shows for what they did (the rows stay: who did what
is kept, by id), registered from apps/tenants/wiring.py."""

from __future__ import annotations

from apps.core.personal_data import (
    BLANK,
    FoundByAddress,
    PersonalData,
    register_personal_data,
)
from apps.tenants.models import AuditLogEntry, Invitation


def _erased_actor(value, row) -> str:
    return f"erased user {row.actor_id}" if row.actor_id else BLANK(value)


ENTRIES = (
    PersonalData(
        "tenants.invitation",
        model=Invitation,
        find=FoundByAddress(Invitation, ("email",), of="user"),
        label="Invitations",
        fields={"email": BLANK},
        context_fields=("id", "role", "created_at"),
        erase="delete",
    ),
    PersonalData(
        "tenants.auditlogentry",
        model=AuditLogEntry,
        user="actor",
        label="Audit log",
        fields={"actor_label": _erased_actor},
        context_fields=("id", "action", "target_type", "target_id", "created_at"),
    ),
)


def register() -> None:
    register_personal_data(*ENTRIES)
