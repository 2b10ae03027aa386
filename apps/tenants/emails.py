"""Tenant e-mails, rendered in the recipient's language (ru by default)."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from apps.core.tasks import send_mail_task
from apps.tenants.models import Membership
from apps.tenants.roles import Role


def send_invitation_email(invitation, token: str, language: str | None = None) -> None:
    url = settings.SITE_URL + reverse("tenants:invitation_accept", args=[token])
    inviter = invitation.invited_by
    context = {
        "tenant_name": invitation.tenant.name,
        "inviter_name": inviter.get_full_name() if inviter else "",
        "role": invitation.get_role_display,
        "accept_url": url,
        "expires_at": invitation.expires_at,
    }
    lang = language or (inviter and inviter.language) or settings.LANGUAGE_CODE
    with translation.override(lang):
        context["role"] = invitation.get_role_display()
        subject = render_to_string("tenants/email/invitation_subject.txt", context).strip()
        text = render_to_string("tenants/email/invitation_message.txt", context)
        html = render_to_string("tenants/email/invitation_message.html", context)
    send_mail_task.delay(subject, text, [invitation.email], html)


def admin_recipients(tenant) -> list:
    """The company's active administrators (the users), oldest membership first."""
    memberships = (
        Membership.objects.for_tenant(tenant)
        .filter(role=Role.ADMIN, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    return [m.user for m in memberships]


def email_admins(tenant, subject, body, params: dict) -> int:
    """One plain e-mail to each active administrator: `subject` and `body` are lazy
    translations, formatted with `params` in the recipient's language. A worker sends them
    (retried while the mail server is down), so the caller never fails or waits on mail.
    Returns how many were queued."""
    sent = 0
    for user in admin_recipients(tenant):
        with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
            text = (str(subject) % params, str(body) % params)
        send_mail_task.delay(*text, [user.email])
        sent += 1
    return sent
