"""Editor forms: a rule (conditions built as rows of field / operator / value, or imported
and exported as JSON), a template, a sample event to try."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.channels.models import ChannelKind
from apps.messaging.rules.conditions import LEAD_FIELDS, validate
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
    match = forms.ChoiceField(
        label=_("The conditions below must"),
        choices=[("all", _("all hold")), ("any", _("at least one hold"))],
        initial="all",
        required=False,
    )
    conditions_json = forms.BooleanField(
        label=_("Use the JSON below instead of the rows (import)"), required=False
    )
    conditions = JSONField(label=_("Conditions as JSON"), required=False, help_text=JSON_HELP)
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

    def clean(self):
        data = super().clean()
        # a post without condition rows (a script, an older page) means the JSON box
        data["conditions_json"] = data.get("conditions_json") or "cond-TOTAL_FORMS" not in self.data
        if not data["conditions_json"]:
            self.errors.pop("conditions", None)  # the rows are used; the JSON box is ignored
            data["conditions"] = {}
        return data

    def head_fields(self):
        """The fields above the conditions (code … trigger)."""
        names = list(self.fields)
        return [self[name] for name in names[: names.index("match")]]

    def tail_fields(self):
        """The fields below the conditions (the action, the limits, the delay)."""
        names = list(self.fields)
        return [self[name] for name in names[names.index("conditions") + 1 :]]

    def place_errors(self, fields: dict[str, list[str]]) -> None:
        """Service errors on their fields; condition paths go under the conditions box."""
        for name, messages in fields.items():
            target = "conditions" if name.startswith("conditions") else name
            target = target if target in self.fields else None
            for message in messages:
                shown = f"{name}: {message}" if target == "conditions" else message
                self.add_error(target, shown)


# --- the condition builder ------------------------------------------------------------------

ROW_OPS = [
    ("eq", _("equals")),
    ("ne", _("does not equal")),
    ("in", _("is one of (comma-separated)")),
    ("gt", _("is greater than")),
    ("gte", _("is at least")),
    ("lt", _("is less than")),
    ("lte", _("is at most")),
    ("exists", _("is set")),
    ("not_exists", _("is not set")),
    ("happened", _("event happened within N hours")),
    ("not_happened", _("event did not happen within N hours")),
]
HISTORY_OPS = ("happened", "not_happened")
FIELD_SUGGESTIONS = ["event.type", *(f"lead.{name}" for name in sorted(LEAD_FIELDS))]


class ConditionRowForm(forms.Form):
    """One condition: a field (or, for the "event happened" operators, an event type), an
    operator and a value; checked by the conditions interpreter's own validation."""

    subject = forms.CharField(
        label=_("Field or event type"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"list": "condition-fields", "placeholder": "lead.first_contact_at"}
        ),
    )
    op = forms.ChoiceField(label=_("Operator"), choices=ROW_OPS)
    value = forms.CharField(label=_("Value (hours for events)"), required=False, max_length=500)
    direction = forms.ChoiceField(
        label=_("Before or after the event"),
        choices=[("before", _("before")), ("after", _("after"))],
        required=False,
    )

    def clean(self):
        data = super().clean()
        subject, op = (data.get("subject") or "").strip(), data.get("op")
        raw = (data.get("value") or "").strip()
        data["node"] = None
        if not subject:
            if raw:
                self.add_error("subject", _("Name a field or an event type."))
            return data
        if op is None:
            return data
        try:
            node = _node(subject, op, raw, data.get("direction") or "before")
        except ValueError as error:
            self.add_error("value", str(error))
            # the field (or event type) is still checked, with a stand-in value
            node = _node(subject, op, "1", data.get("direction") or "before")
            data["node"] = None
        else:
            data["node"] = node
        for path, message in validate(node).items():
            target = _ROW_TARGET.get(path.rsplit(".", 1)[-1])
            if target not in self.errors:
                self.add_error(target, message)
        return data


_ROW_TARGET = {
    "field": "subject",
    "event": "subject",
    "op": "op",
    "value": "value",
    "within_hours": "value",
    "direction": "direction",
    "happened": "op",
}


def _node(subject: str, op: str, raw: str, direction: str) -> dict:
    if op in HISTORY_OPS:
        if not raw.isdigit():
            raise ValueError(_("A whole number of hours."))
        return {
            "event": subject,
            "happened": op == "happened",
            "within_hours": int(raw),
            "direction": direction,
        }
    if op in ("exists", "not_exists"):
        return {"field": subject, "op": "exists", "value": op == "exists"}
    if op == "in":
        values = [_typed(part.strip()) for part in raw.split(",") if part.strip()]
        if not values:
            raise ValueError(_("List one or more values, separated by commas."))
        return {"field": subject, "op": "in", "value": values}
    if not raw:
        raise ValueError(_("A value is required."))
    return {"field": subject, "op": op, "value": _typed(raw)}


def _typed(text: str):
    """Numbers, true/false and null as themselves; anything else is text ("quotes" keep a
    number as text)."""
    if text[:1] == '"' or text in ("true", "false", "null") or _numeric(text):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _shown(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if _typed(value) != value else value
    return json.dumps(value, ensure_ascii=False)


def condition_rows(conditions) -> tuple[str, list[dict]] | None:
    """The stored conditions as (match, rows) for the builder; None when they nest groups
    (then they are edited as JSON)."""
    if not conditions:
        return "all", []
    match = "all" if "all" in conditions else "any" if "any" in conditions else None
    leaves = conditions[match] if match else [conditions]
    rows = []
    for leaf in leaves:
        if not isinstance(leaf, dict) or "all" in leaf or "any" in leaf:
            return None
        if "event" in leaf:
            op = "happened" if leaf.get("happened", True) else "not_happened"
            rows.append(
                {
                    "subject": leaf["event"],
                    "op": op,
                    "value": str(leaf.get("within_hours", "")),
                    "direction": leaf.get("direction", "before"),
                }
            )
        elif leaf.get("op") == "exists":
            op = "exists" if leaf.get("value", True) else "not_exists"
            rows.append({"subject": leaf["field"], "op": op, "value": ""})
        elif leaf.get("op") == "in":
            shown = ", ".join(_shown(v) for v in leaf.get("value") or [])
            rows.append({"subject": leaf["field"], "op": "in", "value": shown})
        else:
            rows.append(
                {"subject": leaf["field"], "op": leaf.get("op"), "value": _shown(leaf.get("value"))}
            )
    return match or "all", rows


ConditionFormSet = forms.formset_factory(
    ConditionRowForm, extra=0, can_delete=True, max_num=20, validate_max=True, absolute_max=20
)


def built_conditions(match: str, formset) -> dict:
    """The rows of a valid formset as one `all`/`any` group ({} without rows)."""
    nodes = [
        form.cleaned_data["node"]
        for form in formset.forms
        if form.cleaned_data.get("node") and not form.cleaned_data.get("DELETE")
    ]
    return {match or "all": nodes} if nodes else {}


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
