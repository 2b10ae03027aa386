"""System check: every configured model has a price, so no call's cost is guessed.
Registered in apps/ai/wiring.py."""

from django.conf import settings
from django.core.checks import Error

from apps.ai.pricing import is_priced


def configured_models_are_priced(app_configs=None, **kwargs):
    errors = []
    for name in ("ANTHROPIC_MODEL", "GEMINI_MODEL"):
        model = getattr(settings, name, "")
        if model and not is_priced(model):
            errors.append(
                Error(
                    f"{name}={model!r} has no price in AI_PRICES.",
                    hint='Add {"' + model + '": {"input": "…", "output": "…"}} (USD per '
                    "million tokens) to the AI_PRICES environment variable.",
                    id="ai.E001",
                )
            )
    return errors
