"""The conversation card of the lead page: the thread with each outbound message's status, and
the reply box (the lead's channel or another connected one, what that channel can reach, its
length limit, the outbox's refusals in plain words)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from apps.channels import selectors as channel_selectors
from apps.channels.providers import adapter_class
from apps.core.errors import ApplicationError
from apps.messaging import inbox, services, webchat
from apps.messaging.addresses import lead_address
from apps.messaging.forms import ReplyForm
from apps.messaging.models import AddressKind, Direction
from apps.messaging.policy import whatsapp_window_open

DEFAULT_MAX_LENGTH = 4096
KEPT = ("body", "subject", "idempotency_key", "template")


@dataclass(frozen=True)
class ChannelOption:
    value: str  # the channel's id, or "webchat"
    label: str
    kind: str
    kind_label: str
    address: str  # "" = the lead cannot be reached there
    max_length: int
    channel: object = None  # the Channel (None for the web chat: no provider)


def _options(tenant, lead, thread=None) -> list[ChannelOption]:
    """Every enabled channel, and the web chat when the lead has chatted (read from the
    thread when the caller has it)."""
    channels = [c for c in channel_selectors.channel_list(tenant) if c.enabled]
    addresses: dict[str, str] = {}
    options = []
    for channel in channels:
        if channel.kind not in addresses:
            addresses[channel.kind] = lead_address(lead, channel.kind)
        limit = getattr(adapter_class(channel.provider), "max_length", DEFAULT_MAX_LENGTH)
        options.append(
            ChannelOption(
                str(channel.pk), channel.name, channel.kind, channel.get_kind_display(),
                addresses[channel.kind], limit, channel,
            )
        )  # fmt: skip
    if thread is None:
        visitor = webchat.webchat_address(tenant, lead)
    else:
        chats = [m for m in thread if m.direction == Direction.IN and m.channel_kind == "webchat"]
        visitor = chats[-1].address if chats else ""
    if visitor:
        label = str(_("Web chat"))
        options.insert(
            0, ChannelOption(webchat.KIND, label, webchat.KIND, label, visitor, webchat.MAX_LENGTH)
        )
    return options


def _selected(options, conversation, channel_id, last_kind: str) -> ChannelOption | None:
    """The picked channel, else the one the lead last wrote in, else the first that reaches
    the lead, else the first."""
    by_value = {o.value: o for o in options}
    if channel_id and str(channel_id) in by_value:
        return by_value[str(channel_id)]
    if last_kind == webchat.KIND and webchat.KIND in by_value:
        return by_value[webchat.KIND]
    if conversation is not None and str(conversation.channel_id) in by_value:
        return by_value[str(conversation.channel_id)]
    return next((o for o in options if o.address), options[0] if options else None)


def _only_templates(tenant, lead, option: ChannelOption | None) -> list[dict] | None:
    """The channel's approved templates when only those may go now (WhatsApp, 24 hours after
    the person's last message); None when free text may."""
    if option is None or option.kind != AddressKind.WHATSAPP or option.channel is None:
        return None
    if whatsapp_window_open(tenant, lead):
        return None
    return list(option.channel.templates or [])


def _kept(typed) -> dict:
    return {k: v for k, v in (typed or {}).items() if (k in KEPT or k.startswith("param_")) and v}


def _reply_subject(thread) -> str:
    """ "Re: " and the subject of the person's last e-mail ("" when there is none)."""
    subject = next(
        (
            m.subject
            for m in reversed(thread)
            if m.direction == Direction.IN and m.channel_kind == AddressKind.EMAIL and m.subject
        ),
        "",
    )
    if not subject or subject.lower().startswith("re:"):
        return subject
    return f"Re: {subject}"[:300]


def thread_context(tenant, lead) -> dict:
    """The messages (oldest first); showing them marks the conversation read."""
    conversation = inbox.lead_conversation(tenant, lead)
    if conversation is not None and conversation.unread_count:
        services.conversation_mark_read(conversation)
    return {"lead": lead, "conversation": conversation, "thread": inbox.thread(tenant, lead)}


def conversation_context(
    tenant, lead, *, channel_id=None, form: ReplyForm | None = None, typed=None, **extra
) -> dict:
    """The card: thread, channel options, the reply box (`typed`: what the box already held
    when another channel was picked)."""
    context = thread_context(tenant, lead)
    options = _options(tenant, lead, context["thread"])
    last_in = next((m for m in reversed(context["thread"]) if m.direction == Direction.IN), None)
    selected = _selected(
        options, context["conversation"], channel_id, last_in.channel_kind if last_in else ""
    )
    if form is None:
        initial = _kept(typed)
        if selected:
            initial["channel"] = selected.value
        if selected and selected.kind == AddressKind.EMAIL and "subject" not in initial:
            initial["subject"] = _reply_subject(context["thread"])
        templates = _only_templates(tenant, lead, selected)
        form = ReplyForm(options=options, templates=templates, initial=initial, auto_id="reply-%s")
    return {
        **context,
        "reply_form": form,
        "channel_options": options,
        "selected": selected,
        "only_templates": form.templates is not None,
        "chosen_template": form.chosen_template(),
        **extra,
    }


def panel_context(tenant, lead) -> dict:
    """For the lead page (registered as a main-column panel)."""
    return conversation_context(tenant, lead)


def reply(tenant, lead, user, data) -> tuple[dict, int]:
    """Queue the operator's reply; (the card's context, HTTP status)."""
    options = _options(tenant, lead)
    picked = next((o for o in options if o.value == data.get("channel")), None)
    templates = _only_templates(tenant, lead, picked)
    form = ReplyForm(data, options=options, templates=templates, auto_id="reply-%s")
    if not form.is_valid():
        channel_id = data.get("channel")
        return conversation_context(tenant, lead, channel_id=channel_id, form=form), 400
    option = next(o for o in options if o.value == form.cleaned_data["channel"])
    key = f"reply:{tenant.pk}:{form.cleaned_data['idempotency_key']}"
    body = form.cleaned_data["body"]
    try:
        if option.channel is None:
            webchat.webchat_reply(tenant, lead, author=user, body=body, idempotency_key=key)
        else:
            services.operator_reply(
                tenant=tenant,
                lead=lead,
                author=user,
                body=body,
                subject=form.cleaned_data["subject"],
                channel_id=option.channel.pk,
                idempotency_key=key,
                template=form.template_choice(),
            )
    except ApplicationError as error:
        for field, messages in (error.fields or {}).items():
            if field in form.fields:
                for message in messages:
                    form.add_error(field, message)
        context = conversation_context(
            tenant, lead, channel_id=option.value, form=form, reply_error=error.message
        )
        return context, error.status_code
    return conversation_context(tenant, lead, channel_id=option.value), 200


def resend(tenant, lead, user, message) -> tuple[dict, int]:
    """The operator's resend of a failed or unknown message (same row, queued again)."""
    try:
        services.message_resend_request(tenant, message)
    except ApplicationError as error:
        return conversation_context(tenant, lead, reply_error=error.message), error.status_code
    return conversation_context(tenant, lead), 200
