"""`manage.py check --deploy`: private webhook targets are for tests and development only.
Registered in apps/integrations/wiring.py."""

from django.conf import settings
from django.core.checks import Warning as CheckWarning


def private_targets_off(app_configs=None, **kwargs):
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False):
        return [
            CheckWarning(
                "WEBHOOKS_ALLOW_PRIVATE_TARGETS is on: webhooks may be sent to private and "
                "local addresses (SSRF).",
                hint="Unset it; it is for tests and local development only.",
                id="integrations.W001",
            )
        ]
    return []
