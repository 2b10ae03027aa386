"""Forms of the privacy pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.privacy.models import RetentionSettings


def _days(label):
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=36500,
        help_text=_("Days. Empty: keep."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class RetentionForm(forms.ModelForm):
    conversations_days = _days(_("Conversations and messages"))
    tickets_days = _days(_("Support tickets"))
    ai_raw_days = _days(_("Raw AI responses"))
    import_files_days = _days(_("Import files"))

    class Meta:
        model = RetentionSettings
        fields = ["conversations_days", "tickets_days", "ai_raw_days", "import_files_days"]


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: the personal data of this lead is erased everywhere, for good."),
    )


class CloseForm(forms.Form):
    confirm_slug = forms.CharField(
        label=_("Type the company's address name to confirm"), max_length=60
    )

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_confirm_slug(self):
        value = self.cleaned_data["confirm_slug"].strip()
        if value != self.tenant.slug:
            raise forms.ValidationError(_("Does not match the company's address name."))
        return value
