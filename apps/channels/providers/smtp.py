"""E-mail through the tenant's SMTP server (Django's SMTP backend; NOOP after login)."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

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
    max_length = 100_000

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
        message_id = make_msgid(domain=self.settings["from_email"].rpartition("@")[2] or None)
        backend = self.backend()
        try:
            backend.open()  # nothing sent yet: failures here are safe to retry
        except smtplib.SMTPAuthenticationError as exc:
            raise ProviderError(_smtp_text(exc), status=401) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise ProviderError(_smtp_text(exc), transient=True) from None
        email = EmailMessage(
            message.subject or "",
            message.text,
            self.settings["from_email"],
            [message.to],
            connection=backend,
            headers={"Message-ID": message_id},
        )
        try:
            email.send()
        except (
            smtplib.SMTPRecipientsRefused,
            smtplib.SMTPSenderRefused,
            smtplib.SMTPDataError,
        ) as exc:  # the server refused: not delivered; 4xx is worth another try later
            code = _smtp_code(exc)
            raise ProviderError(_smtp_text(exc), transient=400 <= code < 500) from None
        except (smtplib.SMTPException, OSError) as exc:  # mid-conversation: maybe delivered
            raise ProviderError(_smtp_text(exc), transient=True, maybe_sent=True) from None
        finally:
            backend.close()
        return SendResult(provider_message_id=message_id, status="sent")


def _smtp_code(exc: Exception) -> int:
    code = getattr(exc, "smtp_code", None)
    if code is None and isinstance(exc, smtplib.SMTPRecipientsRefused):
        code = next(iter(exc.recipients.values()), (550, b""))[0]
    return int(code or 550)


def _smtp_text(exc: Exception) -> str:
    error = getattr(exc, "smtp_error", None)
    if error is None and isinstance(exc, smtplib.SMTPRecipientsRefused):
        error = next(iter(exc.recipients.values()), (0, b""))[1]
    if isinstance(error, bytes):
        return error.decode("utf-8", "replace")
    return str(error or type(exc).__name__)
