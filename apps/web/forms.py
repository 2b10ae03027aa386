"""The onboarding wizard's forms."""

import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.booking.forms import BookingSettingsForm
from apps.leads.models import WidgetConfig

TIME_ZONES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class CompanyForm(forms.Form):
    site = forms.URLField(
        label=_("Your site"),
        max_length=253,
        assume_scheme="https",
        help_text=_("The widget will be allowed on this site."),
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONES)


class WidgetBasicsForm(forms.ModelForm):
    class Meta:
        model = WidgetConfig
        fields = ("title_ru", "greeting_ru", "button_ru", "primary_color")
        widgets = {
            "primary_color": forms.TextInput(attrs={"type": "color"}),
            "greeting_ru": forms.Textarea(attrs={"rows": 2}),
        }


class SnippetEmailForm(forms.Form):
    email = forms.EmailField(label=_("Developer's e-mail"))


class CalendarBasicsForm(BookingSettingsForm):
    """The wizard's calendar step: the built-in scheduler's basics (Cal.com and the rest are
    on the Meetings page)."""

    class Meta(BookingSettingsForm.Meta):
        fields = ["enabled", "work_days", "work_from", "work_to", "slot_minutes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("calcom_api_key", "calcom_webhook_secret"):
            del self.fields[name]
