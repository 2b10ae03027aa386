"""The provider adapters by provider key."""

from apps.channels.providers.base import Adapter
from apps.channels.providers.sendgrid import SendGridAdapter
from apps.channels.providers.sms import SmscAdapter, TwilioAdapter
from apps.channels.providers.smtp import SmtpAdapter
from apps.channels.providers.telegram import TelegramAdapter
from apps.channels.providers.whatsapp import WhatsAppCloudAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    a.provider: a
    for a in (
        SmtpAdapter,
        SendGridAdapter,
        TwilioAdapter,
        SmscAdapter,
        TelegramAdapter,
        WhatsAppCloudAdapter,
    )
}


def adapter_class(provider: str) -> type[Adapter]:
    return ADAPTERS[provider]
