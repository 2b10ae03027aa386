"""Costs are computed from configured prices with Decimal; rounded half-up only as Money."""

from decimal import Decimal

import pytest

from apps.ai.checks import configured_models_are_priced
from apps.ai.pricing import UnpricedModel, compute_cost, cost_as_money, price_for
from apps.core.money import Money


@pytest.fixture(autouse=True)
def _prices(settings):
    settings.AI_PRICES = {
        "claude-sonnet-4-6": {"input": "3", "output": "15"},
        "claude-opus-4": {"input": "15", "output": "75"},
        "cheap": {"input": "0.075", "output": "0.3"},
    }


def test_cost_is_exact_decimal_per_million_tokens():
    assert compute_cost(1_000_000, 0, model="claude-sonnet-4-6") == Decimal("3.000000")
    assert compute_cost(1234, 567, model="claude-sonnet-4-6") == Decimal("0.012207")
    assert isinstance(compute_cost(1, 1, model="cheap"), Decimal)


def test_sub_micro_dollar_costs_round_half_up_at_six_places():
    # 7 * 0.075 / 1M = 0.000000525 -> 0.000001 (half-up), 6 -> 0.00000045 -> 0.000000
    assert compute_cost(7, 0, model="cheap") == Decimal("0.000001")
    assert compute_cost(6, 0, model="cheap") == Decimal("0.000000")


def test_a_dated_version_is_priced_by_its_alias_but_never_by_a_family_prefix():
    assert price_for("claude-sonnet-4-6-20260217").model == "claude-sonnet-4-6"
    with pytest.raises(UnpricedModel):
        price_for("claude-opus-4-7")  # not "claude-opus-4"'s price
    # the returned version is unknown: the requested alias prices it
    cost = compute_cost(
        1000, 0, model_version="claude-sonnet-4-6-preview", model="claude-sonnet-4-6"
    )
    assert cost == Decimal("0.003000")


def test_cost_becomes_money_rounded_half_up_to_minor_units():
    assert cost_as_money(Decimal("0.005000")) == Money(1, "USD")  # half a cent up
    assert cost_as_money(Decimal("0.004999")) == Money(0, "USD")
    assert cost_as_money(Decimal("0.012207"), "RUB", rate=Decimal("92.5")) == Money(113, "RUB")
    # 0.012207 * 92.5 = 1.1291475 RUB -> 113 kopecks


def test_configured_models_are_checked_at_startup(settings):
    settings.ANTHROPIC_MODEL = "claude-unknown"
    settings.GEMINI_MODEL = "cheap"
    errors = configured_models_are_priced()
    assert [e.id for e in errors] == ["ai.E001"] and "claude-unknown" in errors[0].msg
