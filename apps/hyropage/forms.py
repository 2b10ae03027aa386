"""The brief form and the page editor (every field of the content, flat: value_points-0-title,
faq-2-answer, …); the editor's data becomes `PageContent` through the service."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.hyropage.models import Language, Tone
from apps.hyropage.schema import HEADLINE_MAX, META_MAX, SUBHEADLINE_MAX, TITLE_MAX

MAX_POINTS, MAX_PROOF, MAX_FAQ = 6, 3, 8


class BriefForm(forms.Form):
    product = forms.CharField(
        label=_("Product or offer"),
        max_length=300,
        help_text=_("What you sell, in a sentence: “Bathroom renovation in Kazan, turnkey”."),
    )
    audience = forms.CharField(
        label=_("Audience"), max_length=300, help_text=_("Who the page is for.")
    )
    tone = forms.ChoiceField(label=_("Tone"), choices=Tone.choices, initial=Tone.FRIENDLY)
    language = forms.ChoiceField(
        label=_("Language of the page"), choices=Language.choices, initial=Language.RU
    )
    booking_url = forms.URLField(
        label=_("Booking link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("Optional. The page always has your lead form (the widget)."),
    )
    details = forms.CharField(
        label=_("Facts to use"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Prices, terms, guarantees you really give. The page claims nothing else."),
    )
    lead_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    slug = forms.SlugField(
        label=_("Page address"),
        max_length=80,
        required=False,
        help_text=_("Latin letters, digits and hyphens; made from the product when empty."),
    )


def _text(label, max_length, required=True, rows=None):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(label=label, max_length=max_length, required=required, widget=widget)


class ContentForm(forms.Form):
    """Every field of the page. Empty rows of value points, testimonials and FAQ are dropped;
    the schema then checks the counts (3–6 points, 1–3 testimonials, 2–8 questions)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = _text(_("Title (browser tab, search results)"), TITLE_MAX)
    meta_description = _text(_("Meta description"), META_MAX, rows=2)
    headline = _text(_("Headline"), HEADLINE_MAX)
    subheadline = _text(_("Subheadline"), SUBHEADLINE_MAX, rows=2)
    cta_text = _text(_("Button text"), 40)
    cta_note = _text(_("Note under the button"), 160, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(MAX_POINTS):
            self.fields[f"value_points-{i}-title"] = _text(_("Point title"), 80, required=False)
            self.fields[f"value_points-{i}-text"] = _text(_("Point text"), 300, False, rows=2)
        for i in range(MAX_PROOF):
            self.fields[f"social_proof-{i}-quote"] = _text(_("Testimonial"), 300, False, rows=2)
            self.fields[f"social_proof-{i}-author"] = _text(_("Author"), 100, required=False)
            self.fields[f"social_proof-{i}-placeholder"] = forms.BooleanField(
                label=_("Placeholder: not a real testimonial yet"), required=False
            )
        for i in range(MAX_FAQ):
            self.fields[f"faq-{i}-question"] = _text(_("Question"), 150, required=False)
            self.fields[f"faq-{i}-answer"] = _text(_("Answer"), 600, False, rows=2)

    @staticmethod
    def initial_from(content: dict, version: int) -> dict:
        data = {
            "version": version,
            **{k: content.get(k, "") for k in ("title", "meta_description", "headline")},
            "subheadline": content.get("subheadline", ""),
            "cta_text": (content.get("call_to_action") or {}).get("text", ""),
            "cta_note": (content.get("call_to_action") or {}).get("note", ""),
        }
        for group in ("value_points", "social_proof", "faq"):
            for i, item in enumerate(content.get(group) or []):
                for key, value in item.items():
                    data[f"{group}-{i}-{key}"] = value
        return data

    def groups(self):
        """Bound fields by group and row, for the template."""

        def rows(group, count, keys):
            return [[self[f"{group}-{i}-{k}"] for k in keys] for i in range(count)]

        return {
            "value_points": rows("value_points", MAX_POINTS, ("title", "text")),
            "social_proof": rows("social_proof", MAX_PROOF, ("quote", "author", "placeholder")),
            "faq": rows("faq", MAX_FAQ, ("question", "answer")),
        }

    def content(self) -> dict:
        data = self.cleaned_data

        def rows(group, count, keys, required):
            out = []
            for i in range(count):
                row = {k: data.get(f"{group}-{i}-{k}") for k in keys}
                if any(str(row[k] or "").strip() for k in required):
                    out.append(row)
            return out

        return {
            "title": data["title"],
            "meta_description": data["meta_description"],
            "headline": data["headline"],
            "subheadline": data["subheadline"],
            "value_points": rows("value_points", MAX_POINTS, ("title", "text"), ("title", "text")),
            "social_proof": rows(
                "social_proof", MAX_PROOF, ("quote", "author", "placeholder"), ("quote", "author")
            ),
            "faq": rows("faq", MAX_FAQ, ("question", "answer"), ("question", "answer")),
            "call_to_action": {"text": data["cta_text"], "note": data.get("cta_note") or ""},
        }

    def add_content_errors(self, fields: dict[str, list[str]]) -> None:
        """The schema's errors ("value_points", "faq.1.answer") on the form's fields; a whole
        group's error (too few rows) above the form, named by the group's legend."""
        groups = {
            "value_points": _("Value points (3–6)"),
            "social_proof": _("Testimonials (1–3)"),
            "faq": _("Questions and answers (2–8)"),
        }
        renamed = {"call_to_action-text": "cta_text", "call_to_action-note": "cta_note"}
        for where, messages in fields.items():
            name = renamed.get(where.replace(".", "-"), where.replace(".", "-"))
            target = name if name in self.fields else None
            label = groups.get(where.split(".")[0], where)
            for message in messages:
                self.add_error(target, message if target else f"{label}: {message}")
