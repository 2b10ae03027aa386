"""Message templates: `{{ lead.name }}`, `{{ properties.amount }}`, `{{ event.type }}`,
`{{ company.name }}` placeholders, replaced by plain text (no template language, no code in
the database). A placeholder that the lead's fields or the template's sample event cannot fill
is an error at save time; at send time a missing value fails the decision with its name."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from apps.messaging.rules.conditions import LEAD_FIELDS

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
NAME = re.compile(r"^[a-z_][a-z0-9_]*(\.[A-Za-z0-9_]+)+$")
TEXT_FIELDS = ("subject_ru", "body_ru", "subject_en", "body_en")


class MissingVariable(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text or "")


def validate_texts(texts: dict[str, str], sample_properties: dict) -> dict[str, str]:
    """Per-field messages for placeholders that are malformed or that nothing can fill."""
    errors: dict[str, str] = {}
    for field, text in texts.items():
        bad = [name for name in placeholders(text) if not _known(name, sample_properties)]
        if bad:
            errors[field] = _(
                "Unknown variables: %(names)s. Use lead.<field>, company.name, event.type or "
                "properties.<name> present in the sample event."
            ) % {"names": ", ".join(sorted(set(bad)))}
    return errors


def _known(name: str, sample: dict) -> bool:
    if not NAME.match(name):
        return False
    head, _dot, rest = name.partition(".")
    if head == "lead":
        return rest in LEAD_FIELDS
    if head == "properties":
        return _lookup(sample, rest) is not None
    return name in ("event.type", "company.name")


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def render(text: str, *, lead, properties: dict, event_type: str, tenant) -> str:
    """Fill the placeholders; raises MissingVariable naming the first one without a value."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        head, _dot, rest = name.partition(".")
        if head == "lead":
            found = getattr(lead, rest, None) if lead is not None else None
        elif head == "properties":
            found = _lookup(properties, rest)
        elif name == "event.type":
            found = event_type
        elif name == "company.name":
            found = tenant.name
        else:
            found = None
        if found is None or found == "":
            raise MissingVariable(name)
        return str(found)

    return PLACEHOLDER.sub(value, text or "")


def render_template(template, language: str, **context) -> tuple[str, str]:
    """(subject, body) in `language` (ru/en), Russian where the English text is empty."""
    english = language == "en" and template.body_en
    subject = template.subject_en if english else template.subject_ru
    body = template.body_en if english else template.body_ru
    return render(subject, **context), render(body, **context)
