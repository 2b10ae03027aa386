"""Telegram Bot API over plain httpx: getMe, setWebhook with a secret token, sendMessage."""

from __future__ import annotations

import hmac
import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.channels.providers.base import (
    Adapter,
    Field,
    InboundMessage,
    OutboundMessage,
    ProviderError,
    SendResult,
    WebhookRejected,
)

API = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramAdapter(Adapter):
    provider = "telegram"
    kind = "telegram"
    credential_fields = (
        Field("bot_token", gettext_lazy("Bot token"), gettext_lazy("From @BotFather: /newbot.")),
    )
    help_text = gettext_lazy("Create a bot with @BotFather and paste its token.")

    def _call(self, method: str, **payload) -> dict:
        with self.client(API) as client:
            response = self.request(
                client, "POST", f"/bot{self.credentials['bot_token']}/{method}", json=payload
            )
        body = response.json()
        if not body.get("ok"):
            raise ProviderError(body.get("description") or _("Telegram refused the request."))
        return body.get("result") or {}

    def verify_credentials(self) -> str:
        bot = self._call("getMe")
        return "@" + str(bot.get("username", ""))

    def set_webhook(self, url: str) -> None:
        """Point the bot at our webhook; Telegram sends the secret in every callback."""
        self._call(
            "setWebhook", url=url, secret_token=self.webhook_token, allowed_updates=["message"]
        )

    def send(self, message: OutboundMessage) -> SendResult:
        try:
            sent = self._call("sendMessage", chat_id=message.to, text=message.text)
        except ProviderError as exc:
            if exc.status == 403:  # "bot was blocked by the user": that person, not the bot
                raise ProviderError(exc.message) from None
            raise
        # The Bot API sends no delivery receipts. `ok: true` with a message_id means Telegram
        # put the message into the chat on its servers (the person's apps sync it from there),
        # so that answer is the delivery: shown as "delivered", and no later status comes.
        return SendResult(provider_message_id=str(sent.get("message_id", "")), status="delivered")

    def verify_webhook(self, request) -> None:
        given = request.headers.get(SECRET_HEADER, "")
        if not self.webhook_token or not hmac.compare_digest(given, self.webhook_token):
            raise WebhookRejected("Telegram secret token does not match")

    def parse_inbound(self, request) -> list[InboundMessage]:
        try:
            update = json.loads(request.body or b"{}")
        except ValueError:
            return []
        message = update.get("message") if isinstance(update, dict) else None
        if not isinstance(message, dict) or "chat" not in message:
            return []
        chat = message["chat"]
        sender = message.get("from") or {}
        name = " ".join(filter(None, [sender.get("first_name"), sender.get("last_name")]))
        return [
            InboundMessage(
                provider_message_id=f"{chat.get('id')}:{message.get('message_id')}",
                sender=str(chat.get("id")),
                text=str(message.get("text") or message.get("caption") or ""),
                sender_name=name,
                raw=update,
            )
        ]
