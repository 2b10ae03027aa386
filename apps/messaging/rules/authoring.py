"""Writing rules and templates (editor, admin, API, packs): validated on save with a message
per field (conditions per path); a rule edit that changes what it does makes a new version."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from apps.core.errors import ValidationFailed
from apps.messaging.rules.conditions import validate as validate_conditions
from apps.messaging.rules.models import Action, Rule, RuleVersion, Template
from apps.messaging.rules.templating import TEXT_FIELDS, validate_texts

VERSION_FIELDS = (
    "trigger",
    "conditions",
    "action",
    "template",
    "channel",
    "marketing",
    "once_per",
    "max_count",
    "window_hours",
    "quiet_start",
    "quiet_end",
    "delay_minutes",
    "anchor",
)
RULE_FIELDS = ("name", "enabled", "priority", "pack")


def _fail(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(
            _("Please correct the errors below."), fields={k: [v] for k, v in errors.items()}
        )


def template_errors(data: dict[str, Any]) -> dict[str, str]:
    errors = validate_texts(
        {f: data.get(f, "") for f in TEXT_FIELDS}, data.get("sample_properties") or {}
    )
    if not (data.get("body_ru") or "").strip():
        errors["body_ru"] = _("The Russian text is required.")
    return errors


@transaction.atomic
def template_save(*, tenant, key: str, template: Template | None = None, **data) -> Template:
    """Create or update a template; unknown placeholders fail naming the field."""
    _fail(template_errors(data))
    if template is None:
        template = Template.objects.filter(tenant=tenant, key=key).first() or Template(
            tenant=tenant, key=key
        )
    for name, value in data.items():
        setattr(template, name, value)
    template.save()
    return template


def version_errors(data: dict[str, Any]) -> dict[str, str]:
    errors = validate_conditions(data.get("conditions"))
    if not (data.get("trigger") or "").strip():
        errors["trigger"] = _("Name the event type that triggers the rule.")
    if data.get("action") == Action.SEND:
        if data.get("template") is None:
            errors["template"] = _("Choose the message template.")
        if not data.get("channel"):
            errors["channel"] = _("Choose the channel.")
    if bool(data.get("max_count")) != bool(data.get("window_hours")):
        errors["window_hours"] = _("Give both the number of messages and the window.")
    anchor = data.get("anchor") or ""
    if anchor and not (anchor.startswith("properties.") and len(anchor) > len("properties.")):
        errors["anchor"] = _("Use properties.<name> holding a date and time, or leave empty.")
    if (data.get("delay_minutes") or 0) < 0 and not anchor:
        errors["delay_minutes"] = _("A negative delay needs a time to count back from.")
    if (data.get("quiet_start") is None) != (data.get("quiet_end") is None):
        errors["quiet_end"] = _("Give both ends of the quiet hours.")
    return errors


@transaction.atomic
def rule_save(*, tenant, actor=None, code: str, rule: Rule | None = None, **data) -> Rule:
    """Create or change a rule. `data` holds RULE_FIELDS and VERSION_FIELDS; a change of a
    version field makes version N+1 (earlier decisions keep pointing at theirs)."""
    version_data = {f: data[f] for f in VERSION_FIELDS if f in data}
    version_data.setdefault("conditions", {})
    _fail(version_errors(version_data))
    if rule is None:
        rule = Rule.objects.select_for_update().filter(tenant=tenant, code=code).first()
    if rule is None:
        rule = Rule(tenant=tenant, code=code)
    for name in RULE_FIELDS:
        if name in data:
            setattr(rule, name, data[name])
    rule.save()
    if rule.current is None or _changed(rule.current, version_data):
        number = (rule.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        rule.current = RuleVersion.objects.create(
            tenant=tenant, rule=rule, number=number, created_by=actor, **version_data
        )
        rule.save(update_fields=["current", "updated_at"])
    return rule


def _changed(version: RuleVersion, data: dict[str, Any]) -> bool:
    return any(getattr(version, name) != value for name, value in data.items())


def version_data(version: RuleVersion) -> dict[str, Any]:
    """A version's fields as `rule_save` takes them (to copy or edit)."""
    return {name: getattr(version, name) for name in VERSION_FIELDS}
