"""The "add endpoint" form of the webhooks page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.integrations.event_types import EVENT_TYPES


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("Endpoint URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("https:// only. Private and local addresses are refused."),
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/fastlead/webhooks"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events to send"),
        choices=list(EVENT_TYPES.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )
