"""E-mail through the tenant's SMTP server (Django's SMTP backend; NOOP after login)."""

from __future__ import annotations

import smtplib

from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.channels.providers.base import Adapter, Field, OutboundMessage, ProviderError, SendResult

TIMEOUT = 15


class SmtpAdapter(Adapter):
    provider = "smtp"
    kind = "email"
    credential_fields = (
        Field("username", gettext_lazy("Username"), secret=False),
        Field(
            "password",
            gettext_lazy("Password"),
            gettext_lazy("An app password where the mail service offers one."),
        ),
    )
    setting_fields = (
        Field(
            "host", gettext_lazy("SMTP server"), gettext_lazy("e.g. smtp.yandex.ru"), secret=False
        ),
        Field(
            "port", gettext_lazy("Port"), gettext_lazy("587 (STARTTLS) or 465 (SSL)."), secret=False
        ),
        Field("from_email", gettext_lazy("From address"), secret=False),
        Field(
            "security",
            gettext_lazy("Encryption"),
            gettext_lazy("starttls, ssl or none; empty: by the port (465 ssl, 25 none)."),
            required=False,
            secret=False,
        ),
    )
    help_text = gettext_lazy("E-mail through your own mailbox or mail service over SMTP.")

    def backend(self) -> EmailBackend:
        try:
            port = int(self.settings.get("port") or 587)
        except ValueError:
            raise ProviderError(_("The port must be a number.")) from None
        security = self.settings.get("security") or {465: "ssl", 25: "none"}.get(port, "starttls")
        return EmailBackend(
            host=self.settings["host"],
            port=port,
            username=self.credentials["username"],
            password=self.credentials["password"],
            use_ssl=security == "ssl",
            use_tls=security == "starttls",
            timeout=TIMEOUT,
            fail_silently=False,
        )

    def verify_credentials(self) -> str:
        backend = self.backend()
        try:
            backend.open()
            backend.connection.noop()
        except smtplib.SMTPAuthenticationError as exc:
            raise ProviderError(_smtp_text(exc), status=401) from None
        except (smtplib.SMTPException, OSError) as exc:  # timeouts are OSErrors
            raise ProviderError(
                _("Could not reach the SMTP server: %(error)s") % {"error": _smtp_text(exc)}
            ) from None
        finally:
            backend.close()
        return self.settings.get("from_email", "")

    def send(self, message: OutboundMessage) -> SendResult:
        email = EmailMessage(
            message.subject or "",
            message.text,
            self.settings["from_email"],
            [message.to],
            connection=self.backend(),
        )
        try:
            email.send()
        except smtplib.SMTPAuthenticationError as exc:
            raise ProviderError(_smtp_text(exc), status=401) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderError(_smtp_text(exc)) from None
        return SendResult(
            provider_message_id=email.extra_headers.get("Message-ID", ""), status="sent"
        )


def _smtp_text(exc: Exception) -> str:
    error = getattr(exc, "smtp_error", None)
    if isinstance(error, bytes):
        return error.decode("utf-8", "replace")
    return str(error or type(exc).__name__)
