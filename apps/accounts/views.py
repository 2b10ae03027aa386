"""The user's own profile: name, company, interface language, signing out everywhere."""

from allauth.account.views import SignupView as AllauthSignupView
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.forms import ProfileForm
from apps.accounts.invitations import PENDING_INVITATION_SESSION_KEY
from apps.accounts.services import user_sign_out_everywhere


@login_required
def profile(request):
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            user = form.save()
            language = user.language or settings.LANGUAGE_CODE
            translation.activate(language)  # the confirmation below is already in it
            messages.success(request, _("Profile saved."))
            response = redirect("accounts:profile")
            # The language cookie wins over the profile (UserLanguageMiddleware): keep it equal.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
            return response
        status = 400
    else:
        form = ProfileForm(instance=request.user)
        status = 200
    context = {"form": form, "mfa_enabled": is_mfa_enabled(request.user)}
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@require_POST
def sign_out_everywhere(request):
    """End every other web session and every API token; this browser stays signed in."""
    user_sign_out_everywhere(user=request.user, keep_session=request)
    messages.success(request, _("You are signed out on every other device and app."))
    return redirect("accounts:profile")


class SignupView(AllauthSignupView):
    """allauth's sign-up page; someone who followed an invitation joins the inviting company,
    so the form does not ask them for a company of their own."""

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.request.session.get(PENDING_INVITATION_SESSION_KEY):
            form.fields.pop("company", None)
        return form


signup = SignupView.as_view()
