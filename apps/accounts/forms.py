"""Sign-up and profile forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User


class SignupExtraForm(forms.Form):
    """Extra sign-up fields (allauth ACCOUNT_SIGNUP_FORM_CLASS): name and company."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    company = forms.CharField(label=_("Company"), max_length=200)

    field_order = ["name", "company", "email", "password1"]

    def signup(self, request, user):
        user.name = self.cleaned_data["name"].strip()
        user.company = self.cleaned_data.get("company", "").strip()  # none for invitees
        user.language = (getattr(request, "LANGUAGE_CODE", "") or "ru")[:2]
        user.save(update_fields=["name", "company", "language"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "company", "language"]
        labels = {"name": _("Your name"), "company": _("Company"), "language": _("Language")}
