"""Payment gateways: one interface (`base.PaymentGateway`), one adapter per provider
(`sandbox`, `yookassa`, `tbank`, `stripe`: imports are absolute, so these module names never
shadow the vendors' SDKs).

`get_gateway(name)` builds an adapter from settings; `rub_providers()` lists the RUB
providers this installation can use, the configured default first; `capabilities(name)` says
what a provider can do without building it, and `providers_with(...)` lists the providers
that can (or cannot) do something — callers ask these, never a provider's name.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from apps.payments.gateways.base import (
    Capabilities,
    GatewayError,
    HostedPaymentRequest,
    NotificationEvent,
    NotificationRejected,
    PaymentGateway,
    PaymentIntentResult,
    PortalRequest,
    RedirectRequired,
    RefundRequest,
    RefundResult,
    SavedMethodCharge,
    UsageReport,
)
from apps.payments.gateways.sandbox import SandboxGateway
from apps.payments.gateways.stripe import StripeGateway
from apps.payments.gateways.tbank import TBankGateway
from apps.payments.gateways.yookassa import YooKassaGateway

SANDBOX = "sandbox"
YOOKASSA = "yookassa"
TINKOFF = "tinkoff"  # T-Bank; the key stays as stored on our rows
STRIPE = "stripe"
PROVIDERS = (SANDBOX, YOOKASSA, TINKOFF, STRIPE)

_CLASSES = {
    SANDBOX: SandboxGateway,
    YOOKASSA: YooKassaGateway,
    TINKOFF: TBankGateway,
    STRIPE: StripeGateway,
}


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


def capabilities(name: str) -> Capabilities:
    """What provider `name` can do (an unknown or empty name can do nothing)."""
    gateway_class = _CLASSES.get(name)
    if gateway_class is None:
        return Capabilities(reports_status=False)
    return gateway_class.capabilities


def providers_with(**wanted: bool) -> list[str]:
    """The providers whose capabilities match, e.g. `providers_with(renews_itself=True)`."""
    return [
        name
        for name in PROVIDERS
        if all(getattr(capabilities(name), key) == value for key, value in wanted.items())
    ]


def get_gateway(name: str) -> PaymentGateway:
    if name == SANDBOX:
        return SandboxGateway()
    if name == TINKOFF:
        return TBankGateway(
            terminal_key=settings.TINKOFF_TERMINAL_KEY,
            password=settings.TINKOFF_PASSWORD,
            api_url=settings.TINKOFF_API_URL,
            notification_url=settings.SITE_URL + reverse("payments:webhook-tinkoff"),
        )
    if name == YOOKASSA:
        return YooKassaGateway(
            shop_id=settings.YOOKASSA_SHOP_ID,
            secret_key=settings.YOOKASSA_SECRET_KEY,
            api_url=settings.YOOKASSA_API_URL,
            check_ip=settings.YOOKASSA_CHECK_IP,
        )
    if name == STRIPE:
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
    "Capabilities",
    "GatewayError",
    "HostedPaymentRequest",
    "NotificationEvent",
    "NotificationRejected",
    "PaymentGateway",
    "PaymentIntentResult",
    "PortalRequest",
    "RedirectRequired",
    "RefundRequest",
    "RefundResult",
    "SavedMethodCharge",
    "UsageReport",
    "capabilities",
    "get_gateway",
    "provider_configured",
    "providers_for",
    "providers_with",
    "rub_providers",
]
