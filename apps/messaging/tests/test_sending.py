"""The send task against fake providers (respx): ok, auth failure, rate limit, unknown outcomes,
abandoned sends, resend."""

from datetime import timedelta

import httpx
import pytest
import respx
from django.core import mail
from django.utils import timezone

from apps.channels.models import ChannelStatus
from apps.channels.providers.telegram import API as TG_API
from apps.core.tasks import send_mail_task
from apps.messaging.addresses import remember_address
from apps.messaging.errors import NoChannel, NotResendable
from apps.messaging.models import Message, MessageStatus
from apps.messaging.outbox import queue_message
from apps.messaging.selectors import channels_failing
from apps.messaging.sending import (
    BUSY,
    FAILED,
    REQUEUED,
    SENT,
    UNKNOWN,
    message_resend,
    message_send,
    messages_recover_abandoned,
)
from apps.messaging.tests.fakes import (
    TG_TOKEN,
    make_channel,
    make_lead,
    telegram_send_route,
    twilio_send_route,
)
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db
SEND_URL = f"{TG_API}/bot{TG_TOKEN}/sendMessage"


@pytest.fixture
def tg(tenant):
    return make_channel(tenant, "telegram")


@pytest.fixture
def queued(tenant, tg):
    """A queued message to chat 5 (its send not run: the test runs it)."""
    lead = make_lead(tenant)
    with tenant_scope(tenant):
        remember_address(tenant, lead, "telegram", "5")
        return queue_message(tenant=tenant, lead=lead, body="Hi", idempotency_key="m1")


def send(tenant, message, sleeps=None):
    sleeps = [] if sleeps is None else sleeps
    with tenant_scope(tenant):
        outcome = message_send(tenant, message.pk, sleep=sleeps.append)
    message.refresh_from_db()
    return outcome


@respx.mock
def test_send_ok_stores_the_providers_id(tenant, queued):
    route = telegram_send_route(respx)
    assert send(tenant, queued) == (SENT, None)
    assert route.call_count == 1
    # the Bot API has no receipts: its ok answer is the delivery (providers/telegram.py)
    assert queued.status == MessageStatus.DELIVERED and queued.provider_message_id
    assert queued.sent_at and queued.delivered_at == queued.sent_at
    assert send(tenant, queued) == ("done", None) and route.call_count == 1  # redelivered task


@respx.mock
def test_auth_failure_disables_the_channel_and_emails_the_admins_once(
    tenant, tg, queued, admin_user, operator_user
):
    route = telegram_send_route(respx, status=401)
    assert send(tenant, queued)[0] == FAILED
    tg.refresh_from_db()
    assert (tg.status, tg.enabled) == (ChannelStatus.ERROR, False)
    assert queued.status == MessageStatus.FAILED and "401" in queued.error
    assert [m.to for m in mail.outbox] == [[admin_user.email]]
    assert tg.name in mail.outbox[0].subject
    with tenant_scope(tenant):
        assert list(channels_failing(tenant)) == [tg]  # the pages' banner
        with pytest.raises(NoChannel):  # nothing more goes out through it
            queue_message(tenant=tenant, lead=queued.lead, body="Again", idempotency_key="m2")
    assert route.call_count == 1 and len(mail.outbox) == 1


@respx.mock
def test_a_mail_server_that_is_down_does_not_fail_the_send_that_disabled_the_channel(
    tenant, tg, queued, admin_user, mail_server, monkeypatch
):
    alerts = []
    monkeypatch.setattr(send_mail_task, "delay", lambda *args: alerts.append(args))
    telegram_send_route(respx, status=401)

    assert send(tenant, queued)[0] == FAILED
    tg.refresh_from_db()
    assert (tg.status, tg.enabled, queued.status) == (
        ChannelStatus.ERROR,
        False,
        MessageStatus.FAILED,
    )
    (subject, _body, recipients), *more = alerts  # a worker sends it, retrying meanwhile
    assert recipients == [admin_user.email] and tg.name in subject and not more


@respx.mock
def test_telegram_403_blocked_by_the_user_fails_the_message_not_the_channel(tenant, tg, queued):
    telegram_send_route(respx, status=403)
    assert send(tenant, queued)[0] == FAILED
    tg.refresh_from_db()
    assert tg.enabled and mail.outbox == []


@respx.mock
def test_rate_limit_is_retried_with_the_providers_wait(tenant, queued):
    route = respx.post(SEND_URL).mock(
        side_effect=[
            httpx.Response(
                429,
                json={"ok": False, "description": "Too Many Requests"},
                headers={"Retry-After": "3"},
            ),
            httpx.Response(200, json={"ok": True, "result": {"message_id": 9}}),
        ]
    )
    sleeps = []
    assert send(tenant, queued, sleeps) == (SENT, None)
    assert route.call_count == 2 and 3 <= sleeps[0] <= 3.3
    assert queued.provider_message_id == "9"


@respx.mock
def test_persistent_5xx_goes_back_to_the_queue_then_fails(tenant, queued):
    route = telegram_send_route(respx, status=502)
    outcome, later = send(tenant, queued)
    assert outcome == REQUEUED and later == 60 and queued.status == MessageStatus.QUEUED
    assert route.call_count == 4  # the retry policy's attempts
    for _ in range(3):
        outcome, later = send(tenant, queued)
    assert outcome == FAILED and queued.status == MessageStatus.FAILED and queued.attempts == 4


@respx.mock
def test_connection_refused_is_retried_timeout_after_sending_is_unknown(tenant, queued):
    route = respx.post(SEND_URL).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.ReadTimeout("no answer")]
    )
    assert send(tenant, queued) == (UNKNOWN, None)
    assert route.call_count == 2  # refused retried once; the timeout never repeated
    assert queued.status == MessageStatus.UNKNOWN and "ReadTimeout" in queued.error
    assert send(tenant, queued)[0] == "done" and route.call_count == 2


@respx.mock
def test_message_left_sending_by_a_dead_worker_becomes_unknown_not_resent(tenant, queued):
    route = telegram_send_route(respx)
    Message.objects.unscoped().filter(pk=queued.pk).update(
        status=MessageStatus.SENDING, sending_at=timezone.now()
    )
    assert send(tenant, queued)[0] == BUSY  # maybe still running elsewhere: look later
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Message.objects.unscoped().filter(pk=queued.pk).update(sending_at=an_hour_ago)
    assert send(tenant, queued)[0] == UNKNOWN
    assert queued.status == MessageStatus.UNKNOWN and not route.called


def test_recovery_beat_marks_abandoned_sends_unknown(tenant, queued):
    Message.objects.unscoped().filter(pk=queued.pk).update(
        status=MessageStatus.SENDING, sending_at=timezone.now() - timedelta(hours=1)
    )
    assert messages_recover_abandoned() == 1
    queued.refresh_from_db()
    assert queued.status == MessageStatus.UNKNOWN


@respx.mock
def test_resend_of_an_unknown_message_sends_it_again(tenant, queued):
    route = telegram_send_route(respx)
    Message.objects.unscoped().filter(pk=queued.pk).update(status=MessageStatus.UNKNOWN, error="x")
    with tenant_scope(tenant):
        message_resend(queued)
    assert queued.status == MessageStatus.QUEUED
    assert send(tenant, queued)[0] == SENT and route.call_count == 1
    with pytest.raises(NotResendable), tenant_scope(tenant):
        message_resend(queued)


@respx.mock
def test_twilio_send_passes_the_status_callback(tenant):
    channel = make_channel(tenant, "twilio")
    lead = make_lead(tenant, phone="+79161234567")
    route = twilio_send_route(respx)
    with tenant_scope(tenant):
        message = queue_message(
            tenant=tenant, lead=lead, body="Hi", idempotency_key="t1", channel=channel
        )
    assert send(tenant, message)[0] == SENT
    form = dict(httpx.QueryParams(route.calls[0].request.read().decode()))
    assert form["To"] == "+79161234567" and form["Body"] == "Hi"
    assert form["StatusCallback"].endswith(f"/webhooks/channels/sms/{channel.webhook_token}/")
