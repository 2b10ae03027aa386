"""The e-mail task: a mail server that is down for a while does not lose the e-mail."""

from __future__ import annotations

import smtplib

from apps.core.tasks import send_mail_task


def test_the_mail_is_sent_once_the_server_is_back(mail_server, mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "Fast Lead <alerts@example.com>"
    mail_server.failures = 2

    result = send_mail_task.apply(
        args=("Alert: rule", "Rule fired", ["admin@example.com", "op@example.com"])
    )

    assert result.successful()
    assert mail_server.attempts == 3
    assert [(m.subject, m.from_email, m.to) for m in mailoutbox] == [
        ("Alert: rule", "Fast Lead <alerts@example.com>", ["admin@example.com", "op@example.com"])
    ]


def test_a_server_that_stays_down_fails_the_task_after_its_retries(mail_server, mailoutbox):
    result = send_mail_task.apply(args=("Alert", "Rule fired", ["admin@example.com"]))

    assert result.failed()
    assert isinstance(result.result, smtplib.SMTPServerDisconnected)
    assert mail_server.attempts == 1 + send_mail_task.max_retries
    assert mailoutbox == []
