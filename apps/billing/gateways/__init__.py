"""Payment gateways: one interface (`base.PaymentGateway`), one adapter per provider.

`get_gateway(name)` builds an adapter from settings; `rub_providers()` lists the RUB
providers this installation can use, the configured default first.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from apps.billing.gateways.base import (
    NotificationEvent,
    NotificationRejected,
    PaymentGateway,
    PaymentIntentResult,
    ProviderError,
    RedirectRequired,
)

SANDBOX = "sandbox"
YOOKASSA = "yookassa"
TINKOFF = "tinkoff"
STRIPE = "stripe"
PROVIDERS = (SANDBOX, YOOKASSA, TINKOFF, STRIPE)


def provider_configured(name: str) -> bool:
    if name == YOOKASSA:
        return bool(settings.YOOKASSA_SHOP_ID and settings.YOOKASSA_SECRET_KEY)
    if name == TINKOFF:
        return bool(settings.TINKOFF_TERMINAL_KEY and settings.TINKOFF_PASSWORD)
    if name == STRIPE:
        return bool(settings.STRIPE_SECRET_KEY)
    return name == SANDBOX and settings.PAYMENTS_RUB_PROVIDER == SANDBOX


def rub_providers() -> list[str]:
    """The usable RUB providers, the configured default first. The sandbox is offered only
    when it is the default (an installation with real keys never sells test payments)."""
    default = settings.PAYMENTS_RUB_PROVIDER
    others = [p for p in (YOOKASSA, TINKOFF) if p != default and provider_configured(p)]
    return [default, *others]


def providers_for(currency: str) -> list[str]:
    if currency == "RUB":
        return rub_providers()
    # EUR plans go through Stripe; without its key the sandbox stands in for demos.
    if provider_configured(STRIPE):
        return [STRIPE]
    return [SANDBOX] if settings.PAYMENTS_RUB_PROVIDER == SANDBOX else []


def get_gateway(name: str) -> PaymentGateway:
    if name == SANDBOX:
        from apps.billing.gateways.sandbox import SandboxGateway

        return SandboxGateway()
    if name == TINKOFF:
        from apps.billing.gateways.tinkoff import TinkoffGateway

        return TinkoffGateway(
            terminal_key=settings.TINKOFF_TERMINAL_KEY,
            password=settings.TINKOFF_PASSWORD,
            api_url=settings.TINKOFF_API_URL,
            notification_url=settings.SITE_URL + reverse("billing:webhook-tinkoff"),
        )
    if name == YOOKASSA:
        from apps.billing.gateways.yookassa_gw import YooKassaGateway

        return YooKassaGateway(
            shop_id=settings.YOOKASSA_SHOP_ID,
            secret_key=settings.YOOKASSA_SECRET_KEY,
            api_url=settings.YOOKASSA_API_URL,
            check_ip=settings.YOOKASSA_CHECK_IP,
        )
    if name == STRIPE:
        from apps.billing.gateways.stripe_gw import StripeGateway

        return StripeGateway(
            secret_key=settings.STRIPE_SECRET_KEY,
            api_base=settings.STRIPE_API_BASE,
            api_version=settings.STRIPE_API_VERSION,
            meter_event_name=settings.STRIPE_METER_EVENT_ENRICHMENT,
        )
    raise ValueError(f"unknown payment provider {name!r}")


__all__ = [
    "PROVIDERS",
    "SANDBOX",
    "STRIPE",
    "TINKOFF",
    "YOOKASSA",
    "NotificationEvent",
    "NotificationRejected",
    "PaymentGateway",
    "PaymentIntentResult",
    "ProviderError",
    "RedirectRequired",
    "get_gateway",
    "provider_configured",
    "providers_for",
    "rub_providers",
]
