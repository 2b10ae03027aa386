"""E-mail backends that stand for a mail server that is down (set as EMAIL_BACKEND)."""

from __future__ import annotations

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class MailServerDown(BaseEmailBackend):
    """Every send fails the way a mail server that went away does."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
