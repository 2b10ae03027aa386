"""The regression set: every recorded answer parses into the schema, matches the brief's
language, claims nothing banned and renders; the command prints its comparison table (offline
and against the local fake Gemini with two models)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils.html import escape

from apps.hyropage import regression as reg
from apps.hyropage.brief import Brief
from apps.hyropage.models import HyroPage

CASES = reg.cases()


def test_the_set_is_representative():
    assert len(CASES) >= 20
    assert {c.brief.language for c in CASES} == {"ru", "en"}
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(reg.recorded_path(c).exists() for c in CASES)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_recorded_answer_parses_and_renders(case, tenant):
    content = reg.recorded_content(case)

    assert reg.language_matches(content, case.brief.language)
    assert reg.banned_claims(content, case.brief) == []
    page = HyroPage(
        tenant=tenant,
        slug=case.id,
        product=case.brief.product,
        audience=case.brief.audience,
        language=case.brief.language,
        booking_url=case.brief.booking_url,
        content=content.model_dump(),
    )
    html = render_to_string(
        "hyropage/public.html",
        {"page": page, "content": page.content, "canonical": "https://x/p/a/b/", "preview": True},
        request=RequestFactory().get("/"),
    )
    assert f'<html lang="{case.brief.language}">' in html
    assert escape(content.headline) in html and escape(content.faq[0].answer) in html


def test_banned_claims_are_caught_unless_the_brief_states_them():
    brief = Brief(product="Потолки", audience="все", language="ru", details="Монтаж за день.")
    content = reg.recorded_content(CASES[0]).model_copy(update={"headline": "Лучшие потолки №1"})
    assert reg.banned_claims(content, brief) == ["№1", "лучшие"]
    stated = Brief(product="Лучшие потолки №1", audience="все", language="ru")
    assert reg.banned_claims(content, stated) == []


def test_language_mismatch_is_caught():
    english = reg.recorded_content(next(c for c in CASES if c.id == "en-saas-analytics"))
    assert not reg.language_matches(english, "ru")


@pytest.mark.django_db
def test_the_command_prints_the_table_offline(settings):
    settings.GEMINI_API_KEY = ""
    out = io.StringIO()
    call_command("hyropage_regression", stdout=out)
    text = out.getvalue()
    assert "gemini-2.5-flash" in text and "recorded" in text
    assert "schema valid                   22/22" in text
    assert "offline (no GEMINI_API_KEY)" in text


@pytest.mark.django_db
def test_the_command_compares_two_models_on_the_fake_api(gemini):
    # given: the fake answers every model with a valid page
    good = reg.recorded_content(CASES[0]).model_dump()
    gemini.default_output = good
    out = io.StringIO()

    call_command(
        "hyropage_regression",
        "--models", "gemini-2.5-flash", "gemini-2.5-flash-lite",
        "--only", CASES[0].id, CASES[1].id,
        "--base-url", gemini.base_url,
        stdout=out,
    )  # fmt: skip

    text = out.getvalue()
    assert "schema valid                   2/2" in text
    models = [r.path.split("/")[-1].split(":")[0] for r in gemini.requests]
    assert models == ["gemini-2.5-flash"] * 2 + ["gemini-2.5-flash-lite"] * 2
