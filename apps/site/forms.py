from django import forms
from django.utils.translation import gettext_lazy as _

HONEYPOT = "website"


class EnterpriseInquiryForm(forms.Form):
    """The Enterprise contact form of the pricing page."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    company = forms.CharField(label=_("Company"), max_length=200)
    email = forms.EmailField(label=_("Work e-mail"), max_length=254)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    message = forms.CharField(
        label=_("What do you need?"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consent = forms.BooleanField(
        label=_("I agree to the processing of my personal data"),
        error_messages={"required": _("We need your consent to answer you.")},
    )
    # Hidden from people (CSS and aria-hidden); bots that fill every field are turned away.
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())
