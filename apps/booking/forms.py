"""The settings form of the "Meetings" page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.booking.models import BookingSettings

WEEKDAYS = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]


class BookingSettingsForm(forms.ModelForm):
    work_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    calcom_api_key = forms.CharField(
        label=_("Cal.com API key"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Cal.com → Settings → Developer → API keys. Leave blank to keep the saved key."
        ),
    )
    calcom_webhook_secret = forms.CharField(
        label=_("Cal.com webhook secret"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("The secret you gave the webhook in Cal.com. Leave blank to keep it."),
    )

    class Meta:
        model = BookingSettings
        fields = [
            "enabled",
            "calendar",
            "work_days",
            "work_from",
            "work_to",
            "slot_minutes",
            "buffer_minutes",
            "days_ahead",
            "calcom_event_type_id",
        ]
        widgets = {
            "work_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "work_to": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def changes(self) -> dict:
        return dict(self.cleaned_data)
