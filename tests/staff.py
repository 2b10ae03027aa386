"""Staff in tests sign in the way staff do: with a TOTP authenticator (allauth.mfa) and a
session that passed it. The session is marked by allauth's own step after a valid code
(`post_authentication`), so the staff console's check (apps.accounts.middleware
.StaffMFAMiddleware) is exercised, not bypassed. API clients of staff get the tokens a login
with the one-time code issues (claim `amr`: ["pwd", "otp"])."""

import time

from allauth.mfa.base.internal.flows import post_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.mfa.utils import decrypt
from django.test import RequestFactory
from rest_framework.test import APIClient

from apps.accounts.tokens import tokens_for


def staff_totp(user) -> Authenticator:
    """The user's TOTP authenticator, activated with a fresh secret if they have none."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return existing or TOTP.activate(user, generate_totp_secret()).instance


def totp_code(secret: str, at: float) -> str:
    """The authenticator app's code at `at` (seconds since the epoch)."""
    return format_hotp_value(hotp_value(secret, int(at) // 30))


def current_code(user) -> str:
    """The code the user's authenticator app shows now."""
    secret = decrypt(staff_totp(user).data["secret"])
    return totp_code(secret, time.time())


def staff_mfa_api(user) -> APIClient:
    """An API client with the access token of a login with password and one-time code (the
    user's authenticator app is set up first if need be)."""
    staff_totp(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(user, otp=True).access_token}")
    return client


def staff_login(client, user):
    """`client.force_login(user)` plus the second factor allauth records after a code."""
    authenticator = staff_totp(user)
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = user
    post_authentication(request, authenticator)
    request.session.save()
    return user
