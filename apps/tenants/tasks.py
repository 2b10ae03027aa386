"""Celery entry points of the tenants app."""

from apps.tenants.emails import send_invitation_email
from apps.tenants.models import Invitation
from apps.tenants.selectors import hash_token
from apps.tenants.tasking import tenant_task


@tenant_task
def send_invitation_email_task(tenant, invitation_id: int, token: str) -> None:
    """Mail an invitation link; an invitation revoked or re-issued meanwhile sends nothing
    (its token hash no longer matches)."""
    invitation = (
        Invitation.objects.filter(
            pk=invitation_id, token_hash=hash_token(token), accepted_at__isnull=True
        )
        .select_related("tenant", "invited_by")
        .first()
    )
    if invitation is not None:
        send_invitation_email(invitation, token)
