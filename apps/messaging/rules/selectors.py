"""Reads of the follow-up rules: the audit of a subject, what was sent, rules and templates."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from apps.core.errors import ObjectNotFound
from apps.messaging.models import Message
from apps.messaging.rules.models import SENDING, Decision, Event, Rule, RuleVersion, Template

LEAD_PREFIX = "lead:"


def _subject_filter(subject: str) -> Q:
    """Events about `subject`; for `lead:<id>` also the events of users linked to that lead."""
    query = Q(subject=subject)
    if subject.startswith(LEAD_PREFIX) and subject[len(LEAD_PREFIX) :].isdigit():
        query |= Q(lead_id=int(subject[len(LEAD_PREFIX) :]))
    return query


def audit_events(tenant, subject: str) -> list[Event]:
    """The subject's events in the order they occurred, each with its decisions."""
    decisions = Decision.objects.filter(tenant=tenant).select_related("rule", "version")
    return list(
        Event.objects.filter(Q(tenant=tenant) & _subject_filter(subject))
        .order_by("occurred_at", "id")
        .prefetch_related(
            Prefetch("decisions", queryset=decisions.order_by("rule__priority", "id"))
        )
    )


def audit_for_lead(tenant, lead_id: int) -> list[Event]:
    return audit_events(tenant, f"{LEAD_PREFIX}{lead_id}")


def sent_decisions(tenant, subject: str | None = None) -> QuerySet:
    """Decisions that queued or sent a message (or alerted the team), newest first."""
    query = Decision.objects.filter(tenant=tenant, outcome__in=SENDING[1:])
    if subject:
        query = query.filter(Q(subject=subject) | _lead_q(subject))
    return query.select_related("rule", "version", "event").order_by("-created_at", "-id")


def message_statuses(tenant, message_ids) -> dict[int, str]:
    """The outbox status (queued, sent, delivered, failed, …) of each message."""
    ids = [pk for pk in message_ids if pk is not None]
    rows = Message.objects.for_tenant(tenant).filter(pk__in=ids).values_list("pk", "status")
    return dict(rows)


def _lead_q(subject: str) -> Q:
    if subject.startswith(LEAD_PREFIX) and subject[len(LEAD_PREFIX) :].isdigit():
        return Q(lead_id=int(subject[len(LEAD_PREFIX) :]))
    return Q(pk__in=[])


def rule_list(tenant) -> QuerySet:
    return Rule.objects.filter(tenant=tenant).select_related("current", "current__template")


def rule_get(tenant, rule_id) -> Rule:
    rule = rule_list(tenant).filter(pk=rule_id).first()
    if rule is None:
        raise ObjectNotFound
    return rule


def rule_versions(rule: Rule) -> QuerySet:
    return RuleVersion.objects.filter(tenant=rule.tenant, rule=rule).order_by("-number")


def template_list(tenant) -> QuerySet:
    return Template.objects.filter(tenant=tenant).order_by("name")


def template_get(tenant, template_id) -> Template:
    template = template_list(tenant).filter(pk=template_id).first()
    if template is None:
        raise ObjectNotFound
    return template
