"""Celery entry points of core: e-mail that must not hold up the caller."""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

# What a mail server that is down or refusing for a while raises: worth another attempt.
MAIL_ERRORS = (smtplib.SMTPException, OSError)
MAIL_RETRY = {"autoretry_for": MAIL_ERRORS, "retry_backoff": True, "max_retries": 5}


@shared_task(acks_late=True, ignore_result=True, **MAIL_RETRY)
def send_mail_task(
    subject: str, body: str, recipients: list[str], html_message: str | None = None
) -> int:
    """An e-mail from DEFAULT_FROM_EMAIL (plain text, with an HTML alternative if given), sent
    by a worker: a mail server that is down or refusing for a while is tried again with
    backoff (5 more times) instead of the e-mail being lost or the caller waiting on it."""
    return send_mail(
        subject, body, settings.DEFAULT_FROM_EMAIL, recipients, html_message=html_message
    )
