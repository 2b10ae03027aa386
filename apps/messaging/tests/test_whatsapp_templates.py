"""WhatsApp outside its 24-hour window: free text is refused, an approved template may go.
Templates are read from the Cloud API (GET /{waba_id}/message_templates, approved only) when
the channel is tested; the reply box says why free text is refused and offers them; the send
posts `type: "template"` with the name, language code and body parameters. Meta's API is
faked at the HTTP level (respx) in its documented formats."""

import json
from datetime import timedelta

import httpx
import pytest
import respx
from django.urls import reverse
from django.utils import timezone

from apps.billing.tests.helpers import subscribe
from apps.channels.providers.base import OutboundMessage
from apps.channels.providers.whatsapp import API as WA_API
from apps.channels.providers.whatsapp import WhatsAppCloudAdapter
from apps.channels.services import channel_test
from apps.messaging.conversations import conversation_for
from apps.messaging.errors import OutsideWhatsAppWindow, UnknownTemplate
from apps.messaging.models import Direction, Message, MessageStatus
from apps.messaging.outbox import queue_message
from apps.messaging.sending import message_send
from apps.messaging.tests.fakes import make_channel, make_lead, whatsapp_send_route
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
ORDER_READY = {
    "name": "order_ready",
    "language": "ru",
    "status": "APPROVED",
    "category": "UTILITY",
    "id": "5501",
    "components": [
        {"type": "HEADER", "format": "TEXT", "text": "Заказ"},
        {"type": "BODY", "text": "Здравствуйте, {{1}}! Ваш заказ {{2}} готов к выдаче."},
        {"type": "FOOTER", "text": "Ромашка"},
    ],
}
GREETING_NAMED = {
    "name": "greeting",
    "language": "en_US",
    "status": "APPROVED",
    "category": "MARKETING",
    "parameter_format": "NAMED",
    "components": [{"type": "BODY", "text": "Hi {{first_name}}, thanks for writing to us."}],
}
REJECTED = {
    "name": "promo",
    "language": "ru",
    "status": "REJECTED",
    "components": [{"type": "BODY", "text": "Скидка!"}],
}


def templates_route(router, pages=None):
    """Meta's paged answer: {"data": [...], "paging": {"cursors": {...}, "next": url}}."""
    pages = pages or [[ORDER_READY, REJECTED], [GREETING_NAMED]]
    answers = []
    for index, page in enumerate(pages):
        paging = {"cursors": {"before": f"b{index}", "after": f"a{index}"}}
        if index + 1 < len(pages):
            paging["next"] = f"{WA_API}/8888/message_templates?after=a{index}"
        answers.append(httpx.Response(200, json={"data": page, "paging": paging}))
    return router.get(f"{WA_API}/8888/message_templates").mock(side_effect=answers)


def phone_route(router):
    return router.get(f"{WA_API}/1111").mock(
        return_value=httpx.Response(200, json={"display_phone_number": "+7 916 000-00-00"})
    )


@pytest.fixture
def wa(tenant):
    channel = make_channel(tenant, "whatsapp_cloud")
    channel.settings = {**channel.settings, "waba_id": "8888"}
    channel.save()
    return channel


def _read_templates(channel):
    with respx.mock:
        phone_route(respx)
        route = templates_route(respx)
        channel = channel_test(channel)
    return channel, route


def _old_inbound(tenant, lead, wa, hours=30):
    with tenant_scope(tenant):
        return Message.objects.create(
            tenant=tenant,
            conversation=conversation_for(tenant, lead),
            lead=lead,
            direction=Direction.IN,
            channel=wa,
            channel_kind="whatsapp",
            address="79161234567",
            body="Здравствуйте",
            status=MessageStatus.RECEIVED,
            idempotency_key=f"in:old:{lead.pk}",
            created_at=timezone.now() - timedelta(hours=hours),
        )


def test_testing_the_channel_reads_the_approved_templates_page_by_page(wa):
    channel, route = _read_templates(wa)

    assert channel.status == "connected" and channel.last_error == ""
    assert [(t["name"], t["language"], t["params"]) for t in channel.templates] == [
        ("greeting", "en_US", ["first_name"]),
        ("order_ready", "ru", ["1", "2"]),
    ]
    first = route.calls[0].request.url.params
    assert (first["status"], route.calls[1].request.url.params["after"]) == ("APPROVED", "a0")
    assert route.calls[0].request.headers["Authorization"] == "Bearer wa-token"


def test_a_template_read_failure_keeps_the_channel_connected(wa, english_ui):
    with respx.mock:
        phone_route(respx)
        respx.get(f"{WA_API}/8888/message_templates").mock(
            return_value=httpx.Response(
                403, json={"error": {"message": "(#200) Permissions error", "code": 200}}
            )
        )
        channel = channel_test(wa)
    assert channel.status == "connected" and channel.templates == []
    assert "(#200) Permissions error" in channel.last_error


def test_template_send_payload_positional_and_named():
    adapter = WhatsAppCloudAdapter(
        credentials={"access_token": "t", "app_secret": "s"}, settings={"phone_number_id": "1111"}
    )
    with respx.mock:
        route = whatsapp_send_route(respx)
        adapter.send(
            OutboundMessage(
                to="79161234567",
                text="ignored",
                template={"name": "order_ready", "language": "ru", "params": ["Анна", "A-17"]},
            )
        )
        adapter.send(
            OutboundMessage(
                to="79161234567",
                text="ignored",
                template={
                    "name": "greeting",
                    "language": "en_US",
                    "params": ["Anna"],
                    "named": ["first_name"],
                },
            )
        )
    positional, named = (json.loads(c.request.content) for c in route.calls)
    assert positional == {
        "messaging_product": "whatsapp",
        "to": "79161234567",
        "type": "template",
        "template": {
            "name": "order_ready",
            "language": {"code": "ru"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Анна"},
                        {"type": "text", "text": "A-17"},
                    ],
                }
            ],
        },
    }
    assert named["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "Anna", "parameter_name": "first_name"}
    ]


def test_outside_the_window_a_template_is_queued_and_sent(tenant, wa):
    wa, _ = _read_templates(wa)
    lead = make_lead(tenant, phone="+79161234567")
    _old_inbound(tenant, lead, wa)
    chosen = {"name": "order_ready", "language": "ru", "params": ["Анна", "A-17"]}

    with tenant_scope(tenant):
        with pytest.raises(OutsideWhatsAppWindow):
            queue_message(tenant=tenant, lead=lead, body="Готово", channel=wa, idempotency_key="t0")
        message = queue_message(
            tenant=tenant, lead=lead, body="", channel=wa, template=chosen, idempotency_key="t1"
        )
    assert message.body == "Здравствуйте, Анна! Ваш заказ A-17 готов к выдаче."
    assert message.template["name"] == "order_ready"

    with respx.mock:
        route = whatsapp_send_route(respx)
        with tenant_scope(tenant):
            assert message_send(tenant, message.pk)[0] == "sent"
    sent = json.loads(route.calls.last.request.content)
    assert sent["type"] == "template" and sent["template"]["name"] == "order_ready"


@pytest.mark.parametrize(
    "chosen",
    [
        {"name": "promo", "language": "ru", "params": []},  # rejected: never read
        {"name": "order_ready", "language": "en", "params": ["a", "b"]},
        {"name": "order_ready", "language": "ru", "params": ["only one"]},
        {"name": "order_ready", "language": "ru", "params": ["a", " "]},
    ],
)
def test_an_unknown_template_or_missing_parameter_is_refused(tenant, wa, chosen):
    wa, _ = _read_templates(wa)
    lead = make_lead(tenant, phone="+79161234567")
    _old_inbound(tenant, lead, wa)
    with tenant_scope(tenant), pytest.raises(UnknownTemplate):
        queue_message(
            tenant=tenant, lead=lead, body="", channel=wa, template=chosen, idempotency_key="x"
        )


# --- the reply box on the lead page --------------------------------------------------------


def _url(tenant, lead, *rest):
    return "/".join([f"/t/{tenant.slug}/leads/{lead.pk}/conversation", *rest]) + "/"


def test_the_reply_box_says_why_and_offers_the_templates(
    tenant, wa, operator_client_web, english_ui, django_capture_on_commit_callbacks
):
    subscribe(tenant, "start")
    wa, _ = _read_templates(wa)
    lead = make_lead(tenant, phone="+79161234567")
    _old_inbound(tenant, lead, wa)

    box = operator_client_web.get(
        _url(tenant, lead, "reply-box"), {"channel": wa.pk, "template": "order_ready|ru"}, **HX
    ).content.decode()
    assert "24 hours" in box and "refuses free text" in box
    assert 'value="order_ready|ru"' in box and 'value="greeting|en_US"' in box
    assert "Ваш заказ {{2}} готов" in box  # the chosen template's text
    assert 'name="param_0"' in box and 'name="param_1"' in box
    assert 'name="body"' not in box

    data = {
        "channel": wa.pk,
        "template": "order_ready|ru",
        "param_0": "Анна",
        "param_1": "A-17",
        "idempotency_key": "tpl-1",
    }
    with respx.mock:
        route = whatsapp_send_route(respx)
        with django_capture_on_commit_callbacks(execute=True):
            answer = operator_client_web.post(_url(tenant, lead, "reply"), data, **HX)
    assert answer.status_code == 200, answer.content.decode()[:2000]
    sent = Message.objects.unscoped().get(lead=lead, direction=Direction.OUT)
    assert sent.body == "Здравствуйте, Анна! Ваш заказ A-17 готов к выдаче."
    assert sent.status == MessageStatus.SENT and route.call_count == 1
    assert "Ваш заказ A-17 готов" in answer.content.decode()


def test_a_missing_parameter_is_named_in_the_box(tenant, wa, operator_client_web, english_ui):
    subscribe(tenant, "start")
    wa, _ = _read_templates(wa)
    lead = make_lead(tenant, phone="+79161234567")
    _old_inbound(tenant, lead, wa)
    data = {
        "channel": wa.pk,
        "template": "order_ready|ru",
        "param_0": "Анна",
        "idempotency_key": "k",
    }
    answer = operator_client_web.post(_url(tenant, lead, "reply"), data, **HX)
    assert answer.status_code == 400 and "field-error" in answer.content.decode()
    assert not Message.objects.unscoped().filter(lead=lead, direction=Direction.OUT).exists()


def test_without_templates_the_box_says_how_to_get_them(tenant, operator_client_web, english_ui):
    subscribe(tenant, "start")
    wa = make_channel(tenant, "whatsapp_cloud")
    lead = make_lead(tenant, phone="+79161234567")
    _old_inbound(tenant, lead, wa)
    box = operator_client_web.get(
        _url(tenant, lead, "reply-box"), {"channel": wa.pk}, **HX
    ).content.decode()
    assert "no approved templates yet" in box and "disabled" in box


def test_inside_the_window_the_box_takes_free_text(tenant, wa, operator_client_web, english_ui):
    subscribe(tenant, "start")
    lead = make_lead(tenant, phone="+79161234567")
    _old_inbound(tenant, lead, wa, hours=2)
    box = operator_client_web.get(
        _url(tenant, lead, "reply-box"), {"channel": wa.pk}, **HX
    ).content.decode()
    assert 'name="body"' in box and "refuses free text" not in box


def test_the_api_sends_a_template_and_names_a_missing_body(tenant, wa, operator_api):
    subscribe(tenant, "start")
    wa, _ = _read_templates(wa)
    lead = make_lead(tenant, phone="+79161234567")
    _old_inbound(tenant, lead, wa)
    url = reverse("api-lead-messages", kwargs={"tenant_id": str(tenant.pk), "lead_id": lead.pk})

    empty = operator_api.post(url, {"channel_id": wa.pk}, format="json")
    assert empty.status_code == 400 and "body" in empty.json()["error"]["fields"]
    free = operator_api.post(url, {"channel_id": wa.pk, "body": "Готово"}, format="json")
    assert free.json()["error"]["code"] == "whatsapp_window_closed"
    wrong = {"name": "nope", "language": "ru", "params": []}
    refused = operator_api.post(url, {"channel_id": wa.pk, "template": wrong}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "unknown_template")

    chosen = {"name": "order_ready", "language": "ru", "params": ["Анна", "A-17"]}
    created = operator_api.post(url, {"channel_id": wa.pk, "template": chosen}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["body"] == "Здравствуйте, Анна! Ваш заказ A-17 готов к выдаче."
