"""The user's own profile: name, company and interface language."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from apps.accounts.forms import ProfileForm


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
    return render(request, "accounts/profile.html", {"form": form}, status=status)
