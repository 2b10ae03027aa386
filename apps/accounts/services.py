"""Account writes used by the API: registration, login checks, e-mail confirmation, profile.

The web sign-up goes through allauth's own views; these services reuse allauth's building
blocks (EmailAddress rows, confirmation mails, the adapter's login-failure limit) so both
paths share the same data and the same counters.
"""

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.email_verification import (
    send_verification_email_for_user,
    send_verification_email_to_address,
)
from allauth.account.models import EmailAddress, get_emailconfirmation_model
from allauth.account.utils import has_verified_email, setup_user_email
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from apps.accounts.mfa import totp_code_valid, totp_enabled
from apps.accounts.models import User
from apps.core.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from apps.core.events import log_event

PROFILE_FIELDS = ("name", "company", "language")


def _email_taken() -> Conflict:
    message = _("An account with this e-mail already exists.")
    return Conflict(message, code="email_taken", fields={"email": [message]})


def email_is_taken(email: str) -> bool:
    """Whether an account (or another account's address) already uses the e-mail."""
    return (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


def _setup_user_email(request: HttpRequest, user: User) -> EmailAddress:
    """allauth's primary, unverified EmailAddress row for a new user.

    allauth looks for a verified e-mail stashed in the session (web sign-up flows) and so
    marks the session modified; an API client has no session, so don't start one for it.
    """
    session_was_modified = request.session.modified
    address = setup_user_email(request, user, [])
    request.session.modified = session_was_modified
    return address


def user_register(
    *, request: HttpRequest, email: str, password: str, name: str, company: str
) -> User:
    """Create an account with an unverified e-mail and send allauth's confirmation mail.

    The password must already have passed the password validators.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    if email_is_taken(email):
        raise _email_taken()
    language = (getattr(request, "LANGUAGE_CODE", "") or "ru")[:2]
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email, password, name=name.strip(), company=company.strip(), language=language
            )
            address = _setup_user_email(request, user)
    except IntegrityError:  # a concurrent registration of the same address won the race
        raise _email_taken() from None
    log_event("user_registered", user_id=user.pk, via="api")
    send_verification_email_to_address(request, address, signup=True)
    return user


def user_authenticate(
    *, request: HttpRequest, email: str, password: str, otp: str | None = None
) -> User:
    """Check API credentials through allauth's adapter, sharing the web login-failure limit.

    Raises 429 when the limit (per account and IP) is hit, 401 on bad credentials or an
    inactive account, 403 when the e-mail is not confirmed yet (a new link is mailed).
    With `otp`, the code of the user's authenticator app must be valid too (a wrong one is
    a failed login: 401 `invalid_otp`; an account without an authenticator app: 400
    `mfa_not_enabled`), so a user returned for an `otp` passed the second factor.
    """
    try:
        user = get_adapter(request).authenticate(request, email=email, password=password)
    except DjangoValidationError as exc:
        raise ApplicationError(
            " ".join(exc.messages), code="too_many_login_attempts", status=429
        ) from None
    if user is None:
        raise ApplicationError(
            _("Invalid e-mail or password."), code="invalid_credentials", status=401
        )
    if not user.is_active:
        raise ApplicationError(_("This account is inactive."), code="account_inactive", status=401)
    if not has_verified_email(user):
        send_verification_email_for_user(request, user)
        raise PermissionDenied(
            _("Confirm your e-mail address first: we have sent you a link."),
            code="email_not_verified",
        )
    if otp is not None:
        _second_factor_check(request, user, email=email, password=password, otp=otp)
    update_last_login(None, user)
    log_event("user_logged_in", user_id=user.pk, via="api", mfa=otp is not None)
    return user


def _second_factor_check(request: HttpRequest, user: User, *, otp: str, **credentials) -> None:
    if not totp_enabled(user):
        message = _("This account has no authenticator app: sign in without a one-time code.")
        raise ValidationFailed(message, code="mfa_not_enabled", fields={"otp": [message]})
    if not totp_code_valid(user, otp):
        get_adapter(request).second_factor_failed(request, **credentials)
        message = _("Invalid one-time code: enter the current code from your authenticator app.")
        raise ApplicationError(message, code="invalid_otp", status=401, fields={"otp": [message]})


def email_confirm(*, request: HttpRequest, key: str) -> EmailAddress:
    """Confirm an e-mail address with the key from allauth's confirmation link."""
    confirmation = get_emailconfirmation_model().from_key(key or "")
    if confirmation is None:
        raise NotFound(
            _("This confirmation link is invalid or has expired."),
            code="confirmation_invalid",
        )
    address = confirmation.confirm(request)
    if address is None:
        raise ApplicationError(
            _("This e-mail address cannot be confirmed."), code="confirmation_failed"
        )
    return address


def email_confirmation_resend(*, request: HttpRequest, user: User) -> None:
    """Mail a new confirmation link (allauth silently skips it when rate-limited)."""
    if has_verified_email(user):
        raise Conflict(_("Your e-mail address is already confirmed."), code="already_verified")
    send_verification_email_for_user(request, user)


def user_ensure_email_verified(user: User) -> None:
    """Guard for actions that need a confirmed e-mail address (e.g. creating a company)."""
    if not has_verified_email(user):
        raise PermissionDenied(_("Confirm your e-mail address first."), code="email_not_verified")


def user_update_profile(*, user: User, **changes) -> User:
    """Change the user's name, company or interface language."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    for field, value in changes.items():
        setattr(user, field, value.strip() if isinstance(value, str) else value)
    if changes:
        user.save(update_fields=list(changes))
    return user


def user_sign_out_everywhere(*, user: User, keep_session: HttpRequest | None = None) -> int:
    """End every API token and web session of `user`: outstanding refresh tokens are
    blacklisted, access tokens issued before now are refused (apps/accounts/authentication.py)
    and other web sessions stop matching the session hash. `keep_session` keeps the caller's
    own web session signed in. Returns how many refresh tokens were revoked."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(signed_out_at=timezone.now())
        user.refresh_from_db(fields=["signed_out_at"])
        outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
        revoked = BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
        )
    if keep_session is not None and keep_session.user.pk == user.pk:
        update_session_auth_hash(keep_session, user)
    log_event("user_signed_out_everywhere", user_id=user.pk, tokens_revoked=len(revoked))
    return len(revoked)
