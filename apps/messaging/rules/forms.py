"""Editor forms: a rule (conditions as JSON), a template, a sample event to try."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.channels.models import ChannelKind
from apps.messaging.rules.models import Action, OncePer

JSON_HELP = _(
    'For example {"all": [{"field": "properties.amount", "op": "gte", "value": 100}, '
    '{"event": "signup_completed", "happened": true, "within_hours": 24, "direction": "before"}]}'
)


class JSONField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "mono"})

    def to_python(self, value):
        value = (super().to_python(value) or "").strip()
        if not value:
            return {}
        try:
            data = json.loads(value)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("Not valid JSON (line %(line)s, column %(col)s)."),
                params={"line": exc.lineno, "col": exc.colno},
            ) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("Expected a JSON object."))
        return data

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return value


class RuleForm(forms.Form):
    code = forms.RegexField(
        r"^[A-Z0-9_]+$",
        label=_("Code"),
        max_length=64,
        help_text=_("Capital letters, digits and _."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    enabled = forms.BooleanField(label=_("Enabled"), required=False)
    priority = forms.IntegerField(label=_("Priority"), min_value=0, max_value=1000, initial=100)
    trigger = forms.RegexField(
        r"^[A-Za-z0-9_.:\-]+$",
        label=_("Trigger event type"),
        max_length=100,
        help_text=_("e.g. lead.created, signup_completed"),
    )
    conditions = JSONField(label=_("Conditions"), required=False, help_text=JSON_HELP)
    action = forms.ChoiceField(label=_("Action"), choices=Action.choices)
    template = forms.ModelChoiceField(label=_("Template"), queryset=None, required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", "—"), *ChannelKind.choices]
    )
    marketing = forms.BooleanField(label=_("Marketing (needs consent)"), required=False)
    once_per = forms.ChoiceField(label=_("Limit"), choices=OncePer.choices, required=False)
    max_count = forms.IntegerField(label=_("At most N messages"), min_value=1, required=False)
    window_hours = forms.IntegerField(label=_("per window (hours)"), min_value=1, required=False)
    quiet_start = forms.TimeField(label=_("Quiet hours from"), required=False)
    quiet_end = forms.TimeField(label=_("Quiet hours until"), required=False)
    delay_minutes = forms.IntegerField(
        label=_("Delay (minutes)"), initial=0, min_value=-525600, max_value=525600
    )
    anchor = forms.CharField(
        label=_("Counted from (property)"),
        required=False,
        max_length=100,
        help_text=_("Empty: the event's time; or e.g. properties.starts_at"),
    )

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates

    def place_errors(self, fields: dict[str, list[str]]) -> None:
        """Service errors on their fields; condition paths go under the conditions box."""
        for name, messages in fields.items():
            target = "conditions" if name.startswith("conditions") else name
            target = target if target in self.fields else None
            for message in messages:
                shown = f"{name}: {message}" if target == "conditions" else message
                self.add_error(target, shown)


class TryForm(forms.Form):
    event_type = forms.CharField(label=_("Event type"), max_length=100, required=False)
    properties = JSONField(label=_("Sample event properties"), required=False)
    lead_id = forms.IntegerField(label=_("Lead id (optional)"), required=False, min_value=1)
    hours_ago = forms.IntegerField(
        label=_("Occurred hours ago"), required=False, initial=0, min_value=0, max_value=24 * 366
    )


class TemplateForm(forms.Form):
    key = forms.SlugField(label=_("Key"), max_length=100)
    name = forms.CharField(label=_("Name"), max_length=200)
    subject_ru = forms.CharField(label=_("Subject (Russian)"), max_length=200, required=False)
    body_ru = forms.CharField(label=_("Text (Russian)"), widget=forms.Textarea(attrs={"rows": 4}))
    subject_en = forms.CharField(label=_("Subject (English)"), max_length=200, required=False)
    body_en = forms.CharField(
        label=_("Text (English)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    sample_properties = JSONField(label=_("Sample event properties"), required=False)
