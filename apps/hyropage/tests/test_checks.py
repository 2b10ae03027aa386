"""Start-up checks of HyroPage's model configuration, and the repository scan for retired
Gemini / PaLM model ids."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from apps.hyropage.checks import hyropage_models_configured
from apps.hyropage.limits import RETIRED, is_retired

ROOT = Path(__file__).resolve().parents[3]


def _ids(settings) -> list[str]:
    return [e.id for e in hyropage_models_configured()]


def test_the_default_configuration_is_clean(settings):
    assert _ids(settings) == []


def test_a_model_without_documented_limits_is_a_configuration_error(settings):
    settings.HYROPAGE_MODEL = "gemini-9-imaginary"
    settings.AI_PRICES = {**settings.AI_PRICES, "gemini-9-imaginary": {"input": 1, "output": 1}}
    assert _ids(settings) == ["hyropage.E003"]
    settings.HYROPAGE_MODEL_LIMITS = {
        "gemini-9-imaginary": {"input_tokens": 1000000, "output_tokens": 32768}
    }
    assert _ids(settings) == []


def test_max_tokens_above_the_models_output_limit_is_an_error(settings):
    settings.HYROPAGE_MAX_TOKENS = 70000  # 2.5 Flash and Flash-Lite answer at most 65,536
    assert _ids(settings) == ["hyropage.E004", "hyropage.E004"]


def test_temperature_and_tiny_budgets_are_errors(settings):
    settings.HYROPAGE_TEMPERATURE = 2.5
    settings.HYROPAGE_MAX_TOKENS = 256
    assert sorted(_ids(settings)) == ["hyropage.E006", "hyropage.E007"]


def test_a_retired_model_in_the_fallbacks_is_an_error(settings):
    retired = "gemini" + "-1.5-flash"
    settings.HYROPAGE_FALLBACK_MODELS = [retired]
    assert "hyropage.E002" in _ids(settings)


def test_an_unpriced_model_is_an_error(settings):
    settings.HYROPAGE_FALLBACK_MODELS = ["gemini-2.5-pro"]
    settings.AI_PRICES = {"gemini-2.5-flash": {"input": "0.30", "output": "2.50"}}
    assert _ids(settings) == ["hyropage.E005"]


@pytest.mark.parametrize(
    "model",
    ["gemini" + "-pro", "gemini" + "-1.0-pro", "gemini" + "-1.5-pro-002", "text" + "-bison-001",
     "chat" + "-bison@002", "models/gemini" + "-1.5-flash-8b", "gemini" + "-pro-vision"],
)  # fmt: skip
def test_retired_ids_are_recognised(model):
    assert is_retired(model)


@pytest.mark.parametrize(
    "model", ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-pro"]
)
def test_current_ids_are_not_retired(model):
    assert not is_retired(model)


def test_no_retired_model_id_anywhere_in_the_repository():
    """Every tracked text file (code, settings, docs, deploy, fixtures) is free of Gemini
    1.0/1.5 and PaLM ids; a swap away from a retired model leaves nothing behind."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    found = []
    for name in filter(None, listed):
        path = ROOT / name.decode()
        if not path.is_file() or path.suffix in {".png", ".jpg", ".ico", ".mo", ".woff2"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            match = RETIRED.search(line)
            if match:
                found.append(f"{name.decode()}:{number}: {match.group(0)}")
    assert found == []
