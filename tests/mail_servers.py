"""E-mail backends that stand for a mail server that is down (set as EMAIL_BACKEND), and the
`mail_server` fixture (conftest.py) that installs one."""

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
