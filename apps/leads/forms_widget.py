"""The dashboard's widget configurator form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.leads.models import WidgetConfig
from apps.leads.widget_config import EDITABLE

DAYS = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]


def display_value(value) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if hasattr(value, "strftime"):
        return value.strftime("%H:%M")
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


class WidgetConfigForm(forms.ModelForm):
    policy_url = forms.URLField(
        label=_("privacy policy link"), max_length=500, required=False, assume_scheme="https"
    )
    work_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=DAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    channels = forms.MultipleChoiceField(
        label=_("Channels the visitor may choose"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Your connected channels. Connect more on the Channels page."),
    )

    base_version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = WidgetConfig
        fields = EDITABLE
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "text_color": forms.TextInput(attrs={"type": "color"}),
            "work_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "work_to": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            **{
                name: forms.Textarea(attrs={"rows": 2})
                for name in EDITABLE
                if name.endswith(("_ru", "_en")) and not name.startswith(("title_", "button_"))
            },
        }

    SECTIONS = (
        (
            _("Texts"),
            (
                "title_ru",
                "title_en",
                "greeting_ru",
                "greeting_en",
                "button_ru",
                "button_en",
                "success_ru",
                "success_en",
            ),
        ),
        (_("Look"), ("primary_color", "text_color", "position")),
        (_("Quick replies and channels"), ("quick_replies_ru", "quick_replies_en", "channels")),
        (_("Fields asked"), ("field_name", "field_phone", "field_email", "field_message")),
        (
            _("Consents"),
            (
                "consent_ru",
                "consent_en",
                "marketing_enabled",
                "marketing_ru",
                "marketing_en",
                "policy_url",
            ),
        ),
        (
            _("Working hours"),
            (
                "hours_enabled",
                "work_days",
                "work_from",
                "work_to",
                "time_zone",
                "offline_ru",
                "offline_en",
            ),
        ),
    )

    def __init__(self, *args, read_only: bool = False, channel_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = list(channel_choices)
        if not self.is_bound:
            self.initial["base_version"] = self.instance.version
        if read_only:
            for field in self.fields.values():
                field.disabled = True

    def snapshot(self) -> dict:
        """The submitted settings as display strings (for the conflict screen)."""
        return {name: display_value(self.cleaned_data.get(name)) for name in self.Meta.fields}

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]
