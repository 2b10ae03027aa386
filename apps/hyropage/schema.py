"""What a HyroPage page is made of: the schema Gemini must answer with (and the offline
generator, the editor and the regression set produce). Our templates render it; the model
never writes HTML. Limits follow what search engines and phones show (title ≤ 70, meta
description ≤ 170)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

TITLE_MAX = 70
META_MAX = 170
HEADLINE_MAX = 110
SUBHEADLINE_MAX = 260


def line(max_length: int, min_length: int = 1):
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
    ]


class _Strict(BaseModel):
    # Unknown keys are dropped, not refused: `additionalProperties` is not something to send
    # Gemini's response schema (a subset of OpenAPI), and a stray key harms nothing.
    model_config = ConfigDict(extra="ignore")


class ValuePoint(_Strict):
    title: line(80)
    text: line(300)


class SocialProof(_Strict):
    """A testimonial slot. The model cannot know real customers: every item it writes is a
    placeholder, shown as one until the tenant replaces it and clears the mark."""

    quote: line(300)
    author: line(100)
    placeholder: bool


class FaqItem(_Strict):
    question: line(150)
    answer: line(600)


class CallToAction(_Strict):
    text: line(40)
    note: line(160, min_length=0)


class PageContent(_Strict):
    title: line(TITLE_MAX)
    meta_description: line(META_MAX)
    headline: line(HEADLINE_MAX)
    subheadline: line(SUBHEADLINE_MAX)
    value_points: list[ValuePoint] = Field(min_length=3, max_length=6)
    social_proof: list[SocialProof] = Field(min_length=1, max_length=3)
    faq: list[FaqItem] = Field(min_length=2, max_length=8)
    call_to_action: CallToAction


def content_parse(data: dict) -> PageContent:
    """Stored or edited content back into the schema (raises pydantic.ValidationError)."""
    return PageContent.model_validate(data)
