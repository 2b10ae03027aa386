"""allauth adapters: e-mail login, login limits keyed on account and IP, invitations."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.urls import reverse

from apps.accounts.invitations import PENDING_INVITATION_SESSION_KEY
from apps.core.net import client_ip


class AccountAdapter(DefaultAccountAdapter):
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
        context.setdefault("site_url", settings.SITE_URL)
        return super().send_mail(template_prefix, email, context)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        full = " ".join(p for p in (data.get("first_name"), data.get("last_name")) if p)
        user.name = data.get("name") or full
        return user
