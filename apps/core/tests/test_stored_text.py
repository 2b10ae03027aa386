"""Stored texts: kept as source + parameters, rendered in the reader's language."""

from datetime import UTC, datetime

from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop

from apps.core.money import Money
from apps.core.stored_text import StoredText, render_stored_text, stored_text


def test_a_stored_text_renders_in_each_language():
    with translation.override("ru"):
        text = stored_text(gettext_noop("%(plan)s paused"), plan="Про")
    assert isinstance(text, StoredText) and str(text) == "Про: приостановлена"
    data = text.as_data()
    assert data == {"msgid": "%(plan)s paused", "params": {"plan": "Про"}}
    with translation.override("en"):
        assert render_stored_text(data) == "Про paused"


def test_parameters_are_rendered_per_language_too():
    text = stored_text(
        gettext_noop("%(what)s: %(quantity)s × %(unit)s, %(how)s"),
        what=stored_text(gettext_noop("AI enrichment of %(count)s leads"), count=3),
        quantity=3,
        unit=Money(1500, "RUB"),
        how=gettext_lazy("Credit balance"),
    )
    with translation.override("en"):
        assert render_stored_text(text.as_data()) == (
            "AI enrichment of 3 leads: 3 × 15.00 RUB, Credit balance"
        )
    with translation.override("ru"):
        ru = render_stored_text(text.as_data())
    assert "15,00 RUB" in ru and "Баланс" in ru


def test_dates_follow_the_language_and_bad_data_falls_back():
    text = stored_text(
        gettext_noop("Renewed until %(date)s."), date=datetime(2027, 1, 5, 12, tzinfo=UTC)
    )
    with translation.override("en"):
        assert "January" in render_stored_text(text.as_data())
    with translation.override("ru"):
        assert "января" in render_stored_text(text.as_data())
    assert render_stored_text({"msgid": "%(x)s left", "params": {}}) == "%(x)s left"
    assert render_stored_text("plain") == "plain"
