"""The second factor (allauth.mfa, TOTP): who has one, whether a request passed it.

The web proves it in the session: allauth records an authentication with method "mfa" after
a code at login or on reauthentication. The API proves it in the JWT: a token obtained with
the password *and* a one-time code carries `amr: ["pwd", "otp"]` (RFC 8176), in the access
and the refresh token, kept through refreshes (apps.accounts.tokens).
"""

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from rest_framework.authentication import SessionAuthentication

from apps.accounts.tokens import token_passed_otp


def totp_enabled(user) -> bool:
    """The user has an authenticator app (TOTP): what the staff console and the staff ops API
    (apps.billing.api.StaffWithMFA) require."""
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


def totp_code_valid(user, code: str) -> bool:
    """`code` is the current code of the user's authenticator app, checked exactly as the web
    login's second step checks it (allauth's TOTP: its clock tolerance, and a code accepted
    once is refused again within its period). Recovery codes are for the web only."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None or not authenticator.wrap().validate_code(code):
        return False
    authenticator.record_usage()
    return True


def session_mfa_verified(request, user) -> bool:
    """This session passed a second factor: allauth records it (method "mfa") when a code or
    a recovery code is entered at login or on reauthentication."""
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, user))


def api_request_passed_mfa(request) -> bool:
    """A DRF request proved a second factor: a JWT obtained with a one-time code, or a session
    that passed one. Anything else (an API key, a JWT from the password alone) did not."""
    if request.auth is not None and hasattr(request.auth, "payload"):
        return token_passed_otp(request.auth)
    if isinstance(request.successful_authenticator, SessionAuthentication):
        return session_mfa_verified(request._request, request.user)
    return False
