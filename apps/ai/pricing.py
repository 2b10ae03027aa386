"""Token prices from settings (`AI_PRICES`: model -> USD per million input/output tokens).

Costs are Decimal USD with six decimals (what `AIUsage.cost` stores): a token cost is a
fraction of a cent, so it is only rounded to minor units (half-up) when it becomes a charge,
through `cost_as_money`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from apps.core.money import Money

PER_TOKENS = Decimal(1_000_000)
COST_PLACES = Decimal("0.000001")  # matches AIUsage.cost (decimal_places=6)
COST_CURRENCY = "USD"
_VERSION_SUFFIX = re.compile(r"-(\d{8}|\d{3}|latest)")


class UnpricedModel(LookupError):
    """No price is configured for a model: cost must be computed, never guessed."""


@dataclass(frozen=True)
class ModelPrice:
    model: str
    input_per_million: Decimal
    output_per_million: Decimal

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        raw = (
            Decimal(input_tokens) * self.input_per_million
            + Decimal(output_tokens) * self.output_per_million
        ) / PER_TOKENS
        return raw.quantize(COST_PLACES, rounding=ROUND_HALF_UP)


def _prices() -> dict[str, dict]:
    return getattr(settings, "AI_PRICES", {}) or {}


def price_for(*models: str) -> ModelPrice:
    """The price of the first model id that has one: the exact id, else the alias of a dated
    version (the API may answer `claude-sonnet-4-5-20250929` for `claude-sonnet-4-5`)."""
    prices = _prices()
    for model in filter(None, models):
        key = model if model in prices else _longest_prefix(model, prices)
        if key is not None:
            entry = prices[key]
            return ModelPrice(key, Decimal(str(entry["input"])), Decimal(str(entry["output"])))
    raise UnpricedModel(f"No price configured in AI_PRICES for {', '.join(filter(None, models))}")


def _longest_prefix(model: str, prices: dict) -> str | None:
    """The alias of a dated or numbered version; never a looser family match (the price of
    `claude-opus-4` must not be taken for `claude-opus-4-7`)."""
    matches = [
        key
        for key in prices
        if model.startswith(key) and _VERSION_SUFFIX.fullmatch(model[len(key) :])
    ]
    return max(matches, key=len) if matches else None


def is_priced(model: str) -> bool:
    try:
        price_for(model)
    except UnpricedModel:
        return False
    return True


def compute_cost(
    input_tokens: int, output_tokens: int, *, model_version: str = "", model: str = ""
) -> Decimal:
    """USD cost of one call, priced by the returned model version, else the requested id."""
    return price_for(model_version, model).cost(input_tokens, output_tokens)


def cost_as_money(
    cost: Decimal, currency: str = COST_CURRENCY, rate: Decimal = Decimal(1)
) -> Money:
    """A USD cost as Money in `currency` (at `rate` units per USD), rounded half-up to minor
    units — the one place where a token cost is rounded."""
    return Money.from_decimal(Decimal(cost) * Decimal(rate), currency)
