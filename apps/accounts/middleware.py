from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from apps.accounts.mfa import session_mfa_verified, totp_enabled


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's, unless a language cookie
    was set by the switcher in this browser (the switcher also saves it to the profile)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated and user.language
        if signed_in and not request.COOKIES.get("django_language"):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def staff_mfa_redirect(request) -> HttpResponseRedirect | None:
    """Where a request for the staff console must go first, or None to let it through."""
    prefix = reverse("admin:index")
    if not request.path.startswith(prefix):
        return None
    if request.path == reverse("admin:login"):
        # Django's own admin login takes a password only: sign in through allauth, whose
        # login asks for the second factor of a user who has one.
        return HttpResponseRedirect(_with_next("account_login", request.GET.get("next", prefix)))
    user = request.user
    if not (user.is_authenticated and user.is_staff):
        return None  # the admin itself sends them to its login (above)
    if not totp_enabled(user):
        messages.warning(
            request,
            _(
                "The staff console needs two-factor authentication. Set up an authenticator "
                "app, then open the console again."
            ),
        )
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
    if not session_mfa_verified(request, user):
        return HttpResponseRedirect(_with_next("mfa_reauthenticate", request.get_full_path()))
    return None


class StaffMFAMiddleware:
    """Staff open the Django admin only with a second factor (allauth's MFA): a staff member
    without an authenticator app is sent to set one up, and one whose session has not passed
    the second factor (signed in before setting it up) is asked for a code. Tenant users are
    not affected: for them the second factor is optional (profile → Two-factor
    authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return staff_mfa_redirect(request) or self.get_response(request)
