"""The embedded default's mailbox: with no mail server configured, e-mails are kept as files
under var/mail/ (one .eml each) and read at /dev/mail/ (apps/core/devmail_views.py), so a
newcomer can open the sign-up confirmation without reading a server log.

On only where settings.DEV_MAILBOX says so (the embedded default or DEBUG, no EMAIL_URL or
EMAIL_BACKEND given); everywhere else the page answers 404.
"""

import re
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import timezone

MAIL_ID = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{8}$")
LIST_LIMIT = 200


def mail_folder() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


class DevMailBackend(BaseEmailBackend):
    """Writes each message to var/mail/<id>.eml and says on the console where to read it."""

    def send_messages(self, email_messages) -> int:
        folder = mail_folder()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            mail_id = f"{timezone.now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
            (folder / f"{mail_id}.eml").write_bytes(message.message().as_bytes())
            link = settings.SITE_URL + reverse("dev-mail-detail", args=[mail_id])
            recipients = ", ".join(message.recipients())
            sys.stdout.write(f"E-mail to {recipients}: {message.subject}\n  read it at {link}\n")
        return len(email_messages)


@dataclass(frozen=True)
class Mail:
    id: str
    subject: str
    sender: str
    to: str
    sent_at: datetime | None
    text: str
    html: str


def _part(message, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    return part.get_content() if part is not None else ""


def _read(path: Path) -> Mail:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    try:
        sent_at = parsedate_to_datetime(message["date"]) if message["date"] else None
    except (TypeError, ValueError):
        sent_at = None
    return Mail(
        id=path.stem,
        subject=str(message["subject"] or ""),
        sender=str(message["from"] or ""),
        to=str(message["to"] or ""),
        sent_at=sent_at,
        text=_part(message, "plain"),
        html=_part(message, "html"),
    )


def mail_list() -> list[Mail]:
    """The newest messages first."""
    folder = mail_folder()
    if not folder.is_dir():
        return []
    paths = sorted((p for p in folder.glob("*.eml") if MAIL_ID.match(p.stem)), key=lambda p: p.stem)
    return [_read(path) for path in reversed(paths[-LIST_LIMIT:])]


def mail_get(mail_id: str) -> Mail | None:
    if not MAIL_ID.match(mail_id):
        return None
    path = mail_folder() / f"{mail_id}.eml"
    return _read(path) if path.is_file() else None
