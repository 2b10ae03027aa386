"""Domain events for account activity (ids only, never personal data)."""

from allauth.account.signals import (
    email_confirmed,
    password_changed,
    password_reset,
    password_set,
    user_logged_in,
    user_signed_up,
)
from django.dispatch import receiver

from apps.accounts.services import user_sign_out_everywhere
from apps.core.events import log_event


@receiver(user_signed_up, dispatch_uid="fastlead_user_registered")
def _user_signed_up(sender, request, user, **kwargs):
    log_event("user_registered", user_id=user.pk, via="web")


@receiver(email_confirmed, dispatch_uid="fastlead_email_confirmed")
def _email_confirmed(sender, request, email_address, **kwargs):
    log_event("user_email_confirmed", user_id=email_address.user_id)


@receiver(user_logged_in, dispatch_uid="fastlead_user_logged_in")
def _user_logged_in(sender, request, user, **kwargs):
    log_event("user_logged_in", user_id=user.pk)


@receiver(password_changed, dispatch_uid="fastlead_password_changed")
@receiver(password_set, dispatch_uid="fastlead_password_set")
@receiver(password_reset, dispatch_uid="fastlead_password_reset")
def _password_changed(sender, request, user, **kwargs):
    """A new password ends every other session and every API token issued before it (a
    stolen refresh token must not outlive the password it was obtained with)."""
    keep = request if getattr(request, "user", None) and request.user.is_authenticated else None
    user_sign_out_everywhere(user=user, keep_session=keep)
