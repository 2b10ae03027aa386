"""The e-mail task: a mail server that is down for a while does not lose the e-mail."""

from __future__ import annotations

import smtplib

import pytest
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from apps.core.tasks import send_mail_task


class FlakyBackend(LocmemBackend):
    """Drops the connection on the first `failures` sends, as a restarting mail server does."""

    failures = 0
    attempts = 0

    def send_messages(self, messages):
        FlakyBackend.attempts += 1
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures = FlakyBackend.attempts = 0
    # Eagerly, each retry runs at once (no countdown) when failures are not re-raised.
    conf = send_mail_task.app.conf
    propagates, conf.task_eager_propagates = conf.task_eager_propagates, False
    yield FlakyBackend
    conf.task_eager_propagates = propagates


def test_the_mail_is_sent_once_the_server_is_back(flaky, mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "Fast Lead <alerts@example.com>"
    flaky.failures = 2

    result = send_mail_task.apply(
        args=("Alert: rule", "Rule fired", ["admin@example.com", "op@example.com"])
    )

    assert result.successful()
    assert flaky.attempts == 3
    assert [(m.subject, m.from_email, m.to) for m in mailoutbox] == [
        ("Alert: rule", "Fast Lead <alerts@example.com>", ["admin@example.com", "op@example.com"])
    ]


def test_a_server_that_stays_down_fails_the_task_after_its_retries(flaky, mailoutbox):
    flaky.failures = 100

    result = send_mail_task.apply(args=("Alert", "Rule fired", ["admin@example.com"]))

    assert result.failed()
    assert isinstance(result.result, smtplib.SMTPServerDisconnected)
    assert flaky.attempts == 1 + send_mail_task.max_retries
    assert mailoutbox == []
