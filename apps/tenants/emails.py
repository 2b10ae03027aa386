"""Tenant e-mails, rendered in the recipient's language (ru by default)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation


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
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    message.attach_alternative(html, "text/html")
    message.send()
