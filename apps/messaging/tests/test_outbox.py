"""queue_message: the outbox API the operator reply and the rules engine use."""

from datetime import timedelta

import pytest
import respx
from django.utils import timezone

from apps.leads.models import TimelineEntry, TimelineKind
from apps.messaging.addresses import remember_address
from apps.messaging.conversations import conversation_for
from apps.messaging.errors import NoAddress, NoChannel, OutsideWhatsAppWindow, Suppressed, TooLong
from apps.messaging.models import Direction, Message, MessageStatus
from apps.messaging.outbox import queue_message
from apps.messaging.suppression import is_suppressed, suppress
from apps.messaging.tests.fakes import (
    make_channel,
    make_lead,
    telegram_send_route,
    whatsapp_send_route,
)
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def tg(tenant):
    return make_channel(tenant, "telegram")


@pytest.fixture
def lead(tenant, tg):
    lead = make_lead(tenant, name="Ivan")
    with tenant_scope(tenant):
        remember_address(tenant, lead, "telegram", "5")
    return lead


def _queue(tenant, lead, key="k1", **kwargs):
    with tenant_scope(tenant):
        return queue_message(tenant=tenant, lead=lead, body="Hello!", idempotency_key=key, **kwargs)


@respx.mock
def test_queued_in_the_callers_transaction_and_sent_after_commit(
    tenant, lead, tg, operator_user, django_capture_on_commit_callbacks
):
    route = telegram_send_route(respx)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = _queue(tenant, lead, author=operator_user)
        assert not route.called  # nothing leaves before the commit

    assert len(callbacks) == 1 and route.call_count == 1
    assert route.calls[0].request.read() and b'"chat_id":"5"' in route.calls[0].request.read()
    message.refresh_from_db()
    lead.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.provider_message_id
    assert message.channel == tg and message.direction == Direction.OUT and message.attempts == 1
    assert lead.first_contact_at == message.created_at
    with tenant_scope(tenant):
        entry = TimelineEntry.objects.get(lead=lead, kind=TimelineKind.MESSAGE_OUT)
    assert entry.body == "Hello!" and entry.actor == operator_user


@respx.mock
def test_the_same_idempotency_key_twice_returns_the_stored_message_and_sends_once(
    tenant, lead, django_capture_on_commit_callbacks
):
    route = telegram_send_route(respx)
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue(tenant, lead, key="rule:7:lead")
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = _queue(tenant, lead, key="rule:7:lead")

    assert first.pk == second.pk and second_callbacks == [] and route.call_count == 1
    with tenant_scope(tenant):
        assert Message.objects.count() == 1


def test_no_address_in_any_connected_channel(tenant, tg):
    lead = make_lead(tenant, email="a@example.com")
    with pytest.raises(NoAddress):
        _queue(tenant, lead)
    with pytest.raises(NoAddress):
        _queue(tenant, lead, channel=tg)


def test_no_channel_at_all(tenant):
    with pytest.raises(NoChannel):
        _queue(tenant, make_lead(tenant, email="a@example.com"))


def test_suppressed_address_gets_nothing_but_a_direct_reply(tenant, lead, tg):
    with tenant_scope(tenant):
        inbound = Message.objects.create(
            tenant=tenant,
            conversation=_conversation(tenant, lead),
            lead=lead,
            direction=Direction.IN,
            channel=tg,
            channel_kind="telegram",
            address="5",
            body="STOP",
            status=MessageStatus.RECEIVED,
            idempotency_key="in:1",
        )
        suppress(tenant, "telegram", "5", message=inbound)
        assert is_suppressed(tenant, "telegram", "5")

    with pytest.raises(Suppressed) as refused:
        _queue(tenant, lead, key="a")
    assert refused.value.reason == "opt_out" and refused.value.code == "suppressed"
    reply = _queue(tenant, lead, key="b", in_reply_to=inbound)
    assert reply.status == MessageStatus.QUEUED


def test_marketing_needs_consent(tenant, lead):
    with pytest.raises(Suppressed) as refused:
        _queue(tenant, lead, marketing=True)
    assert refused.value.reason == "no_consent"
    lead.consent_marketing = True
    lead.save()
    assert _queue(tenant, lead, marketing=True).marketing


def test_whatsapp_only_within_24_hours_of_the_persons_message(tenant):
    wa = make_channel(tenant, "whatsapp_cloud")
    lead = make_lead(tenant, phone="+79161234567")
    with pytest.raises(OutsideWhatsAppWindow):
        _queue(tenant, lead, channel=wa)
    with tenant_scope(tenant):
        Message.objects.create(
            tenant=tenant,
            conversation=_conversation(tenant, lead),
            lead=lead,
            direction=Direction.IN,
            channel=wa,
            channel_kind="whatsapp",
            address="79161234567",
            body="Hi",
            status=MessageStatus.RECEIVED,
            idempotency_key="in:wa",
            created_at=timezone.now() - timedelta(hours=23),
        )
    with respx.mock:
        whatsapp_send_route(respx)
        message = _queue(tenant, lead, key="in-window")
    assert message.channel == wa and message.address == "79161234567"


def test_body_over_the_providers_limit_is_refused(tenant, lead):
    with pytest.raises(TooLong) as refused, tenant_scope(tenant):
        queue_message(tenant=tenant, lead=lead, body="x" * 4097, idempotency_key="long")
    assert "4096" in refused.value.message


def _conversation(tenant, lead):
    return conversation_for(tenant, lead)
