"""allauth adapters: e-mail login, login limits keyed on account and IP, invitations.

The login-failure limits are counted by the one limiter (`apps.core.ratelimit`), not by
allauth's own: per IP, LOGIN_FAILURES_PER_IP attempts per LOGIN_FAILURE_WINDOW_SECONDS across
accounts, then LOGIN_FAILURES_PER_ACCOUNT per account *and* IP. Every attempt counts when it
starts; a successful one is given back (so good logins neither count nor reset the count); a
refused attempt counts on the limits already passed. Web form and API share the counts.
With Redis down the limit fails closed: attempts are counted in the database
(`apps.accounts.login_limits`), and if that fails too the attempt is refused.
"""

import contextlib
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse

from apps.accounts.invitations import PENDING_INVITATION_SESSION_KEY
from apps.accounts.login_limits import DatabaseBackend
from apps.core.crypto import decrypt_text, encrypt_text
from apps.core.net import client_ip
from apps.core.ratelimit import OnError, Rate, ip_bucket
from apps.core.ratelimit_fallback import DegradingLimiter
from apps.core.tasks import send_mail_task

_login_limiter = DegradingLimiter("login", fallback=DatabaseBackend(), on_error=OnError.DENY)


def _login_failure_limits(ip: str, account_key: str) -> list[tuple[str, Rate]]:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    digest = hashlib.sha256(account_key.encode()).hexdigest()
    return [
        (f"login-failed:ip:{ip_bucket(ip)}", Rate(settings.LOGIN_FAILURES_PER_IP, window)),
        (f"login-failed:key:{digest}", Rate(settings.LOGIN_FAILURES_PER_ACCOUNT, window)),
    ]


class _LoginAttempt:
    """The hits one login attempt recorded, given back if it succeeds (allauth calls
    `rollback` on a successful login)."""

    def __init__(self, grants):
        self.grants = grants

    def rollback(self) -> None:
        for grant in self.grants:
            _login_limiter.release(grant)


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request, **credentials):
        key = self._get_login_attempts_cache_key(request, **credentials)
        grants = []
        for name, rate in _login_failure_limits(self.get_client_ip(request), key):
            decision = _login_limiter.hit(name, rate)
            if not decision.allowed:
                self._login_failed_rl_usage = None
                raise self.validation_error("too_many_login_attempts")
            grants.append(decision.grant)
        self._login_failed_rl_usage = _LoginAttempt(grants)

    def second_factor_failed(self, request, **credentials) -> None:
        """A wrong one-time code after the right password (the API login takes both at once)
        counts as a failed login on the same limits, so codes cannot be guessed faster than
        passwords; the attempt after the last allowed one is refused at the password step."""
        with contextlib.suppress(DjangoValidationError):  # at the limit: nothing to count
            self.pre_authenticate(request, **credentials)

    def _delete_login_attempts_cached_email(self, request, **credentials):
        # After a password reset (itself rate-limited) the failure counts start again.
        key = self._get_login_attempts_cache_key(request, **credentials)
        for name, _rate in _login_failure_limits(self.get_client_ip(request), key):
            _login_limiter.clear(name)

    def _get_login_attempts_cache_key(self, request, **credentials):
        # Limit failures per account *and* client IP (seed 001: 5 per 15 minutes).
        account = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{account}:{self.get_client_ip(request)}"

    def get_client_ip(self, request) -> str:
        # One rule for the client's address everywhere (X-Forwarded-For from trusted proxies).
        return client_ip(request) or super().get_client_ip(request)

    def get_login_redirect_url(self, request):
        if request.session.get(PENDING_INVITATION_SESSION_KEY):
            return reverse("tenants:invitation_resume")
        return super().get_login_redirect_url(request)

    def get_email_verification_redirect_url(self, email_address):
        return reverse("web:home")

    def add_message(self, request, *args, **kwargs):
        # API clients read JSON, not flash messages (which would put the e-mail into a cookie).
        if request is not None and request.path.startswith("/api/"):
            return None
        return super().add_message(request, *args, **kwargs)

    def send_mail(self, template_prefix, email, context):
        """allauth's e-mails (address confirmation, password reset, security notices) are
        rendered here and sent by a worker: a mail server that is down does not fail the
        sign-up or the reset page, and the e-mail is retried."""
        request = allauth_context.request
        context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            "site_url": settings.SITE_URL,
            **context,
        }
        message = self.render_mail(template_prefix, email, context)
        body, html = message.body, None
        if message.content_subtype == "html":  # an HTML template alone
            body, html = "", message.body
        for content, mimetype in getattr(message, "alternatives", ()):
            if mimetype == "text/html":
                html = content
        send_mail_task.delay(message.subject, body, message.to, html)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        """A provider without keys (SOCIALACCOUNT_PROVIDERS has no app for it) is not
        offered: its login and callback URLs answer 404, not a 500."""
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            raise Http404 from None

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        full = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        user.name = data.get("name") or full
        return user


class MFAAdapter(DefaultMFAAdapter):
    """allauth's MFA with its TOTP secrets encrypted at rest under FIELD_ENCRYPTION_KEYS
    (allauth's default stores them as they are)."""

    def encrypt(self, text: str) -> str:
        return encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_text(encrypted_text)
