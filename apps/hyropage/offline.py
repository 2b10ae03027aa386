"""The labelled offline generator: with no Gemini key, a page is assembled from the brief by
templates. It invents nothing — every value point is a fact from the brief or a plain
statement of what the visitor can do; testimonials are placeholders. Generations it makes are
marked `offline` and shown as "template, not AI" in the dashboard."""

from __future__ import annotations

import json
import re
from pathlib import Path

from apps.ai.providers.base import StructuredRequest
from apps.hyropage.brief import Brief
from apps.hyropage.schema import META_MAX, TITLE_MAX, PageContent

# The template texts per language (JSON: long sentences, edited by copywriters).
TEXTS = json.loads((Path(__file__).parent / "offline_texts.json").read_text(encoding="utf-8"))
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _facts(details: str) -> list[str]:
    facts = [part.strip(" -•*\t") for part in _SENTENCE.split(details or "")]
    return [fact for fact in facts if len(fact) >= 3][:6]


def offline_page(brief: Brief) -> PageContent:
    """A page built from the brief alone."""
    t = TEXTS.get(brief.language, TEXTS["ru"])
    product, audience = _cut(brief.product, 120), _cut(brief.audience, 120)
    points = [
        {"title": _cut(fact.rstrip("."), 80), "text": _cut(f"{fact} {t['fact_text']}", 300)}
        for fact in _facts(brief.details)
    ]
    for title, text in t["generic"]:
        if len(points) >= 3:
            break
        points.append({"title": title, "text": text})
    faq = [{"question": q, "answer": a} for q, a in t["faq"]]
    if brief.booking_url:
        faq.append({"question": t["faq_booking"][0], "answer": t["faq_booking"][1]})
    sub = t["sub"].format(product=product, audience=audience)
    if len(sub) > 260:
        sub = t["sub_short"].format(audience=_cut(audience, 150))
    company = f" — {brief.company}" if brief.company else ""
    return PageContent.model_validate(
        {
            "title": _cut(f"{product}{company}", TITLE_MAX),
            "meta_description": _cut(
                t["meta"].format(product=product, audience=audience), META_MAX
            ),
            "headline": _cut(
                f"{brief.personal_for.split(',')[0]}, {product}" if brief.personal_for else product,
                110,
            ),
            "subheadline": _cut(sub, 260),
            "value_points": points[:6],
            "social_proof": [
                {"quote": t["proof_quote"], "author": t["proof_author"], "placeholder": True}
            ],
            "faq": faq,
            "call_to_action": {"text": t["cta"], "note": t["cta_note"]},
        }
    )


def offline_handler(request: StructuredRequest) -> PageContent:
    """The offline provider's answer to a HyroPage request (registered in apps.py)."""
    return offline_page(Brief(**request.context))
