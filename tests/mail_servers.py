"""An e-mail backend that stands for a mail server that is down; the `mail_server` fixture
(conftest.py) installs it as EMAIL_BACKEND."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class MailServerDown(LocmemBackend):
    """Drops the connection on the next `failures` sends (every send while it is negative),
    as a mail server that went away does; then delivers into mail.outbox."""

    failures = -1
    attempts = 0

    def send_messages(self, messages):
        MailServerDown.attempts += 1
        if MailServerDown.failures != 0:
            if MailServerDown.failures > 0:
                MailServerDown.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
