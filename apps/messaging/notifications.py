"""Operators hear of new work: an e-mail (and the inbox badge) when a new lead or a new inbound
message is theirs. A new lead nobody is assigned to notifies every operator, or is assigned to
the operators in turn (the tenant's `lead_routing`). Imports notify nobody (a file of 10,000
leads is not 10,000 e-mails).

Log lines carry ids and counts only (no names, addresses or message text).
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from apps.core.tasks import send_mail_task
from apps.leads import services as lead_services
from apps.leads.models import Lead, Source
from apps.messaging.models import Message
from apps.tenants.models import LeadRouting, Membership
from apps.tenants.roles import Role

logger = structlog.get_logger("fastlead.messaging.notifications")

SILENT_SOURCES = frozenset({Source.IMPORT.value})
LISTED_LEADS = 10  # leads named in one e-mail; the rest are counted
NEW_LEAD_WINDOW = timedelta(minutes=1)


OPERATOR_ROLES = frozenset({Role.OPERATOR.value, Role.ADMIN.value})


def operators(tenant) -> list:
    """Active members who work leads (operators and administrators), in a stable order."""
    memberships = (
        Membership.objects.for_tenant(tenant)
        .filter(role__in=OPERATOR_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    return [m.user for m in memberships]


def _round_robin(tenant, leads: list[Lead], team: list) -> None:
    """Assign each unassigned lead to the operator after the one who got the latest lead."""
    ids = [user.pk for user in team]
    last = (
        Lead.objects.for_tenant(tenant)
        .filter(assigned_to_id__in=ids)
        .exclude(pk__in=[lead.pk for lead in leads])
        .order_by("-created_at", "-id")
        .values_list("assigned_to_id", flat=True)
        .first()
    )
    position = ids.index(last) + 1 if last in ids else 0
    for lead in leads:
        user_id = ids[position % len(ids)]
        lead_services.lead_update(
            tenant=tenant, actor=None, lead_id=lead.pk, changes={"assigned_to": user_id}
        )
        lead.assigned_to_id = user_id
        position += 1


def new_leads_notify(tenant, lead_ids, source: str) -> int:
    """Route and announce new leads; returns how many e-mails went out."""
    if source in SILENT_SOURCES or not lead_ids:
        return 0
    leads = list(Lead.objects.for_tenant(tenant).filter(pk__in=lead_ids).order_by("id"))
    team = operators(tenant)
    if not team:
        return 0
    unassigned = [lead for lead in leads if lead.assigned_to_id is None]
    if unassigned and tenant.lead_routing == LeadRouting.ROUND_ROBIN:
        _round_robin(tenant, unassigned, team)
        unassigned = []
    per_user: dict[int, list[Lead]] = {user.pk: [] for user in team}
    for lead in leads:
        targets = per_user.keys() if lead in unassigned else [lead.assigned_to_id]
        for user_id in targets:
            per_user.setdefault(user_id, []).append(lead)
    sent = 0
    for user in team:
        if per_user.get(user.pk):
            _send(tenant, user, "new_leads", {"leads": per_user[user.pk]})
            sent += 1
    logger.info("notify.new_leads", tenant_id=str(tenant.pk), leads=len(leads), emails=sent)
    return sent


def inbound_message_notify(tenant, message_id: int) -> int:
    """Announce an inbound message to the lead's operator (or every operator when nobody has
    the lead); returns how many e-mails went out."""
    message = (
        Message.objects.for_tenant(tenant)
        .select_related("lead", "lead__assigned_to")
        .filter(pk=message_id)
        .first()
    )
    if message is None or _opened_the_lead(message):
        return 0
    assignee = message.lead.assigned_to
    team = [assignee] if assignee and assignee.is_active else operators(tenant)
    for user in team:
        _send(tenant, user, "new_message", {"message": message, "lead": message.lead})
    logger.info(
        "notify.new_message", tenant_id=str(tenant.pk), message_id=message_id, emails=len(team)
    )
    return len(team)


def _opened_the_lead(message: Message) -> bool:
    """The message created its lead: the new-lead notice already tells the operators."""
    return message.lead.created_at >= message.created_at - NEW_LEAD_WINDOW


def _lead_url(tenant, lead) -> str:
    return settings.SITE_URL + reverse("leads:detail", args=[tenant.slug, lead.pk])


def _send(tenant, user, kind: str, context: dict) -> None:
    leads = context.get("leads") or []
    context = {
        **context,
        "tenant_name": tenant.name,
        "inbox_url": settings.SITE_URL + reverse("messaging:inbox", args=[tenant.slug]),
        "listed": [(lead, _lead_url(tenant, lead)) for lead in leads[:LISTED_LEADS]],
        "more": max(len(leads) - LISTED_LEADS, 0),
        "count": len(leads),
        "lead_url": _lead_url(tenant, context["lead"]) if "lead" in context else "",
    }
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        subject = render_to_string(f"messaging/email/{kind}_subject.txt", context).strip()
        text = render_to_string(f"messaging/email/{kind}_message.txt", context)
    # one task per recipient: a mail server that is down is retried for each alone
    send_mail_task.delay(" ".join(subject.split()), text, [user.email])
