"""Start-up checks: HyroPage's models exist, are not retired, have a price, and the token
limit and temperature fit every model of the chain (a configuration error, not a surprise on
a tenant's first page). Registered in apps/hyropage/wiring.py."""

from django.conf import settings
from django.core.checks import Error

from apps.ai.pricing import is_priced
from apps.hyropage.limits import (
    MIN_OUTPUT_TOKENS,
    TEMPERATURE_RANGE,
    is_retired,
    limits_for,
)


def _chain() -> list[tuple[str, str]]:
    chain = [("HYROPAGE_MODEL", settings.HYROPAGE_MODEL)]
    chain += [("HYROPAGE_FALLBACK_MODELS", m) for m in settings.HYROPAGE_FALLBACK_MODELS]
    return chain


def _model_errors(name: str, model: str) -> list[Error]:
    if not model:
        return [Error(f"{name} is empty.", hint="Set a Gemini model id.", id="hyropage.E001")]
    if is_retired(model):
        return [
            Error(
                f"{name}={model!r} is a retired Gemini/PaLM model.",
                hint="Use a current model, e.g. gemini-2.5-flash.",
                id="hyropage.E002",
            )
        ]
    errors = []
    limits = limits_for(model)
    if limits is None:
        errors.append(
            Error(
                f"{name}={model!r} has no documented limits in HyroPage's table.",
                hint='Add {"' + model + '": {"input_tokens": …, "output_tokens": …}} to '
                "HYROPAGE_MODEL_LIMITS (from the model's page at ai.google.dev).",
                id="hyropage.E003",
            )
        )
    elif limits.output_tokens < settings.HYROPAGE_MAX_TOKENS:
        errors.append(
            Error(
                f"HYROPAGE_MAX_TOKENS={settings.HYROPAGE_MAX_TOKENS} exceeds {model}'s output "
                f"limit of {limits.output_tokens} tokens.",
                hint=f"Lower HYROPAGE_MAX_TOKENS to at most {limits.output_tokens}.",
                id="hyropage.E004",
            )
        )
    if not is_priced(model):
        errors.append(
            Error(
                f"{name}={model!r} has no price in AI_PRICES.",
                hint="Add its USD price per million input/output tokens to AI_PRICES.",
                id="hyropage.E005",
            )
        )
    return errors


def hyropage_models_configured(app_configs=None, **kwargs):
    errors = [e for name, model in _chain() for e in _model_errors(name, model)]
    if settings.HYROPAGE_MAX_TOKENS < MIN_OUTPUT_TOKENS:
        errors.append(
            Error(
                f"HYROPAGE_MAX_TOKENS={settings.HYROPAGE_MAX_TOKENS} is too small for a page.",
                hint=f"Use at least {MIN_OUTPUT_TOKENS}.",
                id="hyropage.E006",
            )
        )
    low, high = TEMPERATURE_RANGE
    if not low <= settings.HYROPAGE_TEMPERATURE <= high:
        errors.append(
            Error(
                f"HYROPAGE_TEMPERATURE={settings.HYROPAGE_TEMPERATURE} is outside Gemini's "
                f"range {low}–{high}.",
                hint="Use a temperature between 0 and 2.",
                id="hyropage.E007",
            )
        )
    return errors
