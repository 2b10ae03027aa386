"""Domain events for account activity (ids only, never personal data)."""

from allauth.account.signals import email_confirmed, user_logged_in, user_signed_up
from django.dispatch import receiver

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
