"""The outbox: the one way a message to a lead is sent (operator replies, rules, resends).

A message is checked against everything that can be known before the provider is called (an
address in the channel, the suppression list, marketing consent, WhatsApp's 24-hour window,
the provider's length limit), stored as an outbound `Message` in the caller's transaction and
its send queued after commit (apps/messaging/sending.py does the send). The same idempotency
key twice answers the stored message and queues nothing.

One mechanism, `OutboxBatch`: what the checks read (the leads' addresses, the suppressions of
those addresses, the last inbound message, WhatsApp windows, the channels, the keys already
stored) is loaded in bulk; each message is checked when added (a refusal is raised at once);
the batch is stored with a few queries (conversations, one insert of the messages, one update
of the conversations, one insert of the timeline entries) and one after-commit callback
queues the sends. `queue_messages` is a batch of many, `queue_message` a batch of one; the
rules engine keeps a batch open while it evaluates a batch of events.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.channels.models import Channel, ChannelStatus
from apps.channels.providers import adapter_class
from apps.core.errors import ValidationFailed
from apps.core.personal_data import processing_refused
from apps.leads.models import Lead, TimelineEntry, TimelineKind
from apps.messaging.addresses import contact_address
from apps.messaging.conversations import conversations_for
from apps.messaging.errors import NoAddress, NoChannel, TooLong, UnknownTemplate
from apps.messaging.models import (
    AddressKind,
    Conversation,
    Direction,
    LeadAddress,
    Message,
    MessageStatus,
    Suppression,
)
from apps.messaging.policy import WHATSAPP_WINDOW, ensure_may_send
from apps.messaging.tasks import send_message_task

PREVIEW = 200


def queue_message(*, tenant, **item) -> Message:
    """Store an outbound message and queue its send after the caller's transaction commits.

    Takes the keyword arguments of `OutboxBatch.add`. Raises NoChannel / NoAddress /
    Suppressed(reason) / OutsideWhatsAppWindow / TooLong / UnknownTemplate (all
    ValidationFailed, 400). `channel=None`: the channel the lead last wrote from, else the
    first connected channel that has an address for the lead.
    """
    answer = queue_messages(tenant=tenant, items=[item])[0]
    if isinstance(answer, ValidationFailed):
        raise answer
    return answer


def queue_messages(*, tenant, items: list[dict]) -> list[Message | ValidationFailed]:
    """Store many outbound messages at once (each item: `OutboxBatch.add`'s keyword
    arguments); answers, in order, each item's stored message or the error that refused it
    (nothing is stored for a refused item, the others are)."""
    batch = OutboxBatch(tenant)
    batch.prepare(
        [item["lead"] for item in items], keys=[item.get("idempotency_key") for item in items]
    )
    answers: list[Queued | ValidationFailed] = []
    for item in items:
        try:
            answers.append(batch.add(**item))
        except ValidationFailed as refused:
            answers.append(refused)
    batch.commit()
    return [a.message if isinstance(a, Queued) else a for a in answers]


class Queued:
    """A message added to a batch; once the batch is stored, `message` is the stored row (an
    earlier message with the same idempotency key when one was stored meanwhile)."""

    __slots__ = ("key_of", "message", "new")

    def __init__(self, message: Message, *, new: bool, key_of=None):
        self.message, self.new, self.key_of = message, new, key_of


class OutboxBatch:
    """Outbound messages of one company checked one by one and stored together (`commit`,
    inside the caller's transaction). `leads`: the leads messages may go to, loaded together
    when the first message is added."""

    def __init__(self, tenant, *, leads=()):
        self.tenant = tenant
        self.expected = [lead for lead in leads if lead is not None]
        self.added: list[Queued] = []
        self.keys: dict[str, Queued] = {}  # this batch's keys
        self.stored: dict[str, Message | None] = {}  # keys looked up: the stored message
        self.leads: dict[int, Lead] = {}
        self.addresses: dict[tuple[int, str], str] = {}  # (lead, kind) → the stored address
        self.reasons: dict[tuple[str, str], str] = {}  # (kind, address) → suppression or ""
        self.refused: set[int] = set()  # leads that withdrew consent (apps/core/personal_data)
        self.last_in: dict[int, Message | None] = {}
        self.whatsapp: dict[int, object] = {}  # lead → its last WhatsApp message in
        self.channels: list[Channel] | None = None

    # --- loading -------------------------------------------------------------------

    def prepare(self, leads, *, keys=()) -> None:
        """Load what checking messages to these leads reads (and which keys are stored)."""
        self._load_keys([key[:200] for key in keys if key])
        fresh = {lead.pk: lead for lead in leads if lead is not None and lead.pk not in self.leads}
        if not fresh:
            return
        self.leads.update(fresh)
        self.refused |= processing_refused(self.tenant.pk, list(fresh))
        rows = (
            LeadAddress.objects.for_tenant(self.tenant)
            .filter(lead_id__in=fresh)
            .order_by("-created_at", "-id")
            .values_list("lead_id", "kind", "value")
        )
        for lead_id, kind, value in rows:
            self.addresses.setdefault((lead_id, kind), value)
        pairs = {
            (kind, contact_address(lead, kind))
            for lead in fresh.values()
            for kind in AddressKind.values
        }
        pairs |= {
            (kind, value) for (lead_id, kind), value in self.addresses.items() if lead_id in fresh
        }
        self._load_reasons(pairs)

    def _load_keys(self, keys: list[str]) -> None:
        todo = {key for key in keys if key not in self.stored}
        if not todo:
            return
        found = Message.objects.for_tenant(self.tenant).filter(idempotency_key__in=todo)
        self.stored.update(dict.fromkeys(todo))
        self.stored.update({message.idempotency_key: message for message in found})

    def _load_reasons(self, pairs) -> None:
        todo = {
            (kind, value) for kind, value in pairs if value and (kind, value) not in self.reasons
        }
        if not todo:
            return
        rows = (
            Suppression.objects.for_tenant(self.tenant)
            .filter(value__in={value for _kind, value in todo})
            .values_list("kind", "value", "reason")
        )
        found = {(kind, value): reason for kind, value, reason in rows}
        for pair in todo:
            self.reasons[pair] = found.get(pair, "")

    def _load_last_in(self) -> None:
        todo = [pk for pk in self.leads if pk not in self.last_in]
        if not todo:
            return
        latest = (
            Message.objects.for_tenant(self.tenant)
            .filter(lead=OuterRef("pk"), direction=Direction.IN, channel__enabled=True)
            .order_by("-created_at", "-id")
            .values("pk")[:1]
        )
        ids = (
            Lead.objects.for_tenant(self.tenant)
            .filter(pk__in=todo)
            .annotate(last_in=Subquery(latest))
            .values_list("last_in", flat=True)
        )
        found = {
            message.lead_id: message
            for message in Message.objects.for_tenant(self.tenant)
            .filter(pk__in=[pk for pk in ids if pk is not None])
            .select_related("channel")
        }
        for pk in todo:
            self.last_in[pk] = found.get(pk)
        self._load_reasons({(m.channel.kind, m.address) for m in found.values()})

    def _load_whatsapp(self) -> None:
        todo = [pk for pk in self.leads if pk not in self.whatsapp]
        if not todo:
            return
        rows = (
            Message.objects.for_tenant(self.tenant)
            .filter(lead_id__in=todo, direction=Direction.IN, channel_kind=AddressKind.WHATSAPP)
            .order_by()
            .values("lead_id")
            .annotate(last=Max("created_at"))
            .values_list("lead_id", "last")
        )
        self.whatsapp.update(dict.fromkeys(todo))
        self.whatsapp.update(dict(rows))

    # --- what the checks read --------------------------------------------------------

    def _address(self, lead, kind: str) -> str:
        """The lead's address in a channel kind (as addresses.lead_address)."""
        return self.addresses.get((lead.pk, kind)) or contact_address(lead, kind)

    def _reason(self, kind: str, address: str) -> str:
        self._load_reasons([(kind, address)])
        return self.reasons.get((kind, address), "")

    def _window_open(self, lead) -> bool:
        self._load_whatsapp()
        last = self.whatsapp.get(lead.pk)
        return last is not None and timezone.now() - last < WHATSAPP_WINDOW

    def _route(self, lead, channel) -> tuple[Channel, str]:
        """The channel and the lead's address in it."""
        if channel is not None:
            if channel.tenant_id != self.tenant.pk or not channel.enabled:
                raise NoChannel(_("This channel is disabled."))
            address = self._address(lead, channel.kind)
            if not address:
                raise NoAddress()
            return channel, address
        self._load_last_in()
        last_in = self.last_in.get(lead.pk)
        if last_in is not None:
            return last_in.channel, last_in.address
        if self.channels is None:
            self.channels = list(
                Channel.objects.for_tenant(self.tenant)
                .filter(enabled=True, status=ChannelStatus.CONNECTED)
                .order_by("created_at", "id")
            )
        if not self.channels:
            raise NoChannel()
        for candidate in self.channels:
            address = self._address(lead, candidate.kind)
            if address:
                return candidate, address
        raise NoAddress(_("This lead has no address in any connected channel."))

    # --- adding and storing ------------------------------------------------------------

    def add(
        self,
        *,
        lead,
        body: str,
        subject: str = "",
        channel=None,
        marketing: bool = False,
        author=None,
        source: str = "operator",
        source_ref: str = "",
        idempotency_key,
        in_reply_to=None,
        template: dict | None = None,
    ) -> Queued:
        """Check a message and hold it for `commit`; raises the error that refuses it. A key
        already stored (or added) answers that message. A key `prepare` was not given is
        looked up at `commit`. `idempotency_key` may be a function answering (key,
        source_ref) when the batch is stored: the key of a row stored with the batch (the
        rules' decision, whose id the key names)."""
        if not idempotency_key:
            raise ValueError("an outbox message needs an idempotency_key")
        key_of = idempotency_key if callable(idempotency_key) else None
        key = "" if key_of else idempotency_key[:200]
        if key in self.keys:
            return self.keys[key]
        if self.stored.get(key) is not None:
            self.keys[key] = Queued(self.stored[key], new=False)
            return self.keys[key]
        body = (body or "").strip()
        if not body and not template:
            raise ValidationFailed(
                _("Write a message."), fields={"body": [_("This field is required.")]}
            )
        if lead.pk not in self.leads:
            self.prepare([*self.expected, lead])
        channel, address = self._route(lead, channel)
        if template:
            template, body = _approved_template(channel, template)
        limit = adapter_class(channel.provider).max_length
        if len(body) > limit:
            raise TooLong(limit)
        ensure_may_send(
            self.tenant,
            lead,
            channel.kind,
            address,
            marketing=marketing,
            in_reply_to=in_reply_to,
            template=bool(template),
            reason_of=self._reason,
            window_open=self._window_open,
            refused=lead.pk in self.refused,
        )
        message = Message(
            tenant=self.tenant,
            lead=lead,
            direction=Direction.OUT,
            channel=channel,
            channel_kind=channel.kind,
            address=address,
            subject=subject[:300],
            body=body,
            status=MessageStatus.QUEUED,
            idempotency_key=key,
            author=author if getattr(author, "pk", None) else None,
            source=source[:32],
            source_ref=source_ref[:200],
            marketing=marketing,
            in_reply_to=in_reply_to,
            template=template or {},
            created_at=timezone.now(),
        )
        queued = Queued(message, new=True, key_of=key_of)
        if key:
            self.keys[key] = queued
        self.added.append(queued)
        return queued

    def commit(self) -> None:
        """Store the messages added since the last commit (in the caller's transaction) and
        queue their sends after it commits."""
        added, self.added = self._resolve_keys(self.added), []
        self._load_keys([queued.message.idempotency_key for queued in added])
        for queued in added:
            earlier = self.stored.get(queued.message.idempotency_key)
            if earlier is not None:
                queued.message, queued.new = earlier, False
        added = [queued for queued in added if queued.new]
        if not added:
            return
        with transaction.atomic():
            conversations = conversations_for(self.tenant, [q.message.lead for q in added])
            for queued in added:
                queued.message.conversation = conversations[queued.message.lead_id]
            added = self._insert(added)
            _touch_conversations(self.tenant, [queued.message for queued in added])
            TimelineEntry.objects.bulk_create([_timeline_entry(queued.message) for queued in added])
        for queued in added:
            self.stored[queued.message.idempotency_key] = queued.message
        schedule_sends(self.tenant, [queued.message for queued in added])

    def _resolve_keys(self, added: list[Queued]) -> list[Queued]:
        """Keys given as functions, now known; the second message with a key answers the
        first (as a second call with the same key would)."""
        kept = []
        for queued in added:
            if queued.key_of is not None:
                key, source_ref = queued.key_of()
                queued.key_of = None
                queued.message.idempotency_key, queued.message.source_ref = (
                    key[:200],
                    source_ref[:200],
                )
                first = self.keys.setdefault(queued.message.idempotency_key, queued)
                if first is not queued:
                    queued.message, queued.new = first.message, False
                    continue
            kept.append(queued)
        return kept

    def _insert(self, added: list[Queued]) -> list[Queued]:
        """One insert; when a concurrent call stored one of the keys meanwhile, one by one
        (that key answers the stored message)."""
        try:
            with transaction.atomic():
                Message.objects.bulk_create([queued.message for queued in added])
            return added
        except IntegrityError:
            pass
        inserted = []
        for queued in added:
            try:
                with transaction.atomic():
                    queued.message.save()
            except IntegrityError:
                found = _existing(self.tenant, queued.message.idempotency_key)
                if found is None:
                    raise
                queued.message, queued.new = found, False
                continue
            inserted.append(queued)
        return inserted


def _touch_conversations(tenant, messages: list[Message]) -> None:
    """Each conversation shows the batch's newest message to it (one update)."""
    newest = (
        Message.objects.for_tenant(tenant)
        .filter(conversation=OuterRef("pk"), pk__in=[message.pk for message in messages])
        .order_by("-created_at", "-id")
    )
    Conversation.objects.for_tenant(tenant).filter(
        pk__in={message.conversation_id for message in messages}
    ).update(
        channel=Subquery(newest.values("channel")[:1]),
        last_message_at=Subquery(newest.values("created_at")[:1]),
        last_message_preview=Substr(Subquery(newest.values("body")[:1]), 1, PREVIEW),
    )


def _timeline_entry(message: Message) -> TimelineEntry:
    return TimelineEntry(
        tenant=message.tenant,
        lead=message.lead,
        kind=TimelineKind.MESSAGE_OUT,
        actor=message.author,
        body=message.body,
        data={"message_id": message.pk, "channel": message.channel_kind, "source": message.source},
        created_at=message.created_at,
    )


def _approved_template(channel: Channel, chosen: dict) -> tuple[dict, str]:
    """The chosen template checked against the channel's approved ones, and its text with
    the values filled in (what the thread shows)."""
    found = channel.approved_template(str(chosen.get("name", "")), str(chosen.get("language", "")))
    if found is None:
        raise UnknownTemplate()
    values = [str(v).strip() for v in chosen.get("params") or []]
    if len(values) != len(found["params"]) or not all(values):
        raise UnknownTemplate(
            _("Fill in every parameter of the template: %(count)s.")
            % {"count": len(found["params"])},
            fields={"params": [_("Fill in every parameter.")]},
        )
    text = found["body"]
    for name, value in zip(found["params"], values, strict=True):
        pattern = r"\{\{\s*" + re.escape(name) + r"\s*\}\}"
        text = re.sub(pattern, lambda _m, v=value: v, text)
    stored = {
        "name": found["name"],
        "language": found["language"],
        "params": values,
        "named": found["params"] if found.get("named") else [],
    }
    return stored, text.strip() or found["name"]


def schedule_send(tenant, message: Message) -> None:
    schedule_sends(tenant, [message])


def schedule_sends(tenant, messages: list[Message]) -> None:
    """One after-commit callback queues the send task of each message."""
    tenant_id, ids = str(tenant.pk), [message.pk for message in messages]
    transaction.on_commit(lambda: _enqueue(tenant_id, ids))


def _enqueue(tenant_id: str, ids: list[int]) -> None:
    for message_id in ids:
        send_message_task.delay(tenant_id, message_id)


def _existing(tenant, key: str) -> Message | None:
    return Message.objects.for_tenant(tenant).filter(idempotency_key=key[:200]).first()
