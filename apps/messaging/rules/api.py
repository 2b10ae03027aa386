"""/api/v1/tenants/{tenant_id}/events/, audit/{subject_id}/ and messages/ (issue 16)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api import MAX_ID, error_responses
from apps.core.errors import ValidationFailed
from apps.features.guards import ensure_feature
from apps.leads.selectors import lead_get
from apps.messaging.rules import selectors, services
from apps.messaging.rules.serializers import (
    EVENTS_IN,
    EVENTS_OK,
    MAX_BATCH,
    AuditSerializer,
    EventBatchInSerializer,
    EventInSerializer,
    EventResultSerializer,
    SentMessageSerializer,
)
from apps.tenants.api_base import TENANT_ID, TenantAPIView
from apps.tenants.roles import Role

TOOL = "messaging_rules"
SUBJECT_ID = OpenApiParameter("subject_id", OpenApiTypes.STR, OpenApiParameter.PATH)


def rules_tool_check(tenant) -> None:
    """API keys reach the events endpoints whenever the company has the follow-up rules tool
    (without the Business plan's general API access)."""
    ensure_feature(tenant, TOOL)


class RulesAPIView(TenantAPIView):
    api_key_check = rules_tool_check
    roles = {"GET": Role.ANALYST, "HEAD": Role.ANALYST, "OPTIONS": Role.ANALYST}
    default_role = Role.OPERATOR

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        ensure_feature(self.tenant, TOOL)


@extend_schema(tags=["messaging"], parameters=[TENANT_ID])
class EventCollectionAPI(RulesAPIView):
    @extend_schema(
        operation_id="recordEvents",
        summary="Send one event or a batch (up to 1,000) to the follow-up rules",
        description="One event: `{event_id, event_type, user_id | lead_id, occurred_at, "
        "properties}` answers 201 with the decisions of every rule it triggered, or 200 with "
        "the first result for an `event_id` already received (nothing is sent again). A batch "
        '(`{"events": [...]}` or a JSON list) answers 200 with a result per item, in order; '
        "a rejected item names its fields and stores nothing. Events are evaluated in the "
        "order of `occurred_at`. With `user_id`, an `email` or `phone` in the properties "
        "creates or updates the lead whose external id it is (`marketing_opt_in` sets its "
        "consent to marketing).",
        request=EVENTS_IN,
        responses={
            200: EVENTS_OK,
            201: EventResultSerializer,
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request, tenant_id):
        data = request.data
        if isinstance(data, dict) and "events" in data:
            batch = EventBatchInSerializer(data=data)
            batch.is_valid(raise_exception=True)
            return self._batch(batch.validated_data["events"])
        if isinstance(data, list):
            return self._batch(data)
        serializer = EventInSerializer(data=data, context={"tenant": self.tenant})
        serializer.is_valid(raise_exception=True)
        result = services.event_record(tenant=self.tenant, **serializer.validated_data)
        code = status.HTTP_201_CREATED if result.status == "accepted" else status.HTTP_200_OK
        return Response(result.as_dict(), status=code)

    def _batch(self, items):
        if not items or len(items) > MAX_BATCH:
            message = _("Send a list of 1 to %(max)s events.") % {"max": MAX_BATCH}
            raise ValidationFailed(message, fields={"events": [message]})
        not_objects = [n for n, item in enumerate(items) if not isinstance(item, dict)]
        if not_objects:
            message = _("Each event is a JSON object.")
            raise ValidationFailed(
                message, fields={f"events.{n}": [message] for n in not_objects[:20]}
            )
        answers: list[dict] = [{} for _item in items]
        valid, positions = [], []
        for index, item in enumerate(items):
            serializer = EventInSerializer(data=item, context={"tenant": self.tenant})
            if serializer.is_valid():
                valid.append(serializer.validated_data)
                positions.append(index)
            else:
                answers[index] = {"index": index, "status": "rejected", "errors": serializer.errors}
        for index, result in zip(
            positions, services.event_record_batch(tenant=self.tenant, items=valid), strict=True
        ):
            answers[index] = {"index": index, "status": result.status, "result": result.as_dict()}
        summary = {name: 0 for name in ("accepted", "replayed", "rejected")}
        for answer in answers:
            summary[answer["status"]] += 1
        return Response({"results": answers, "summary": summary})


@extend_schema(tags=["messaging"], parameters=[TENANT_ID, SUBJECT_ID])
class AuditAPI(RulesAPIView):
    @extend_schema(
        operation_id="auditSubject",
        summary="Why was this sent: a subject's events and every rule decision, in words",
        description="`subject_id` is your user id, or `lead:<id>` for a lead (then the events "
        "of users linked to that lead too). Events in the order they occurred; each decision "
        "with its reason in Russian and English.",
        responses={200: AuditSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id, subject_id):
        if subject_id.startswith("lead:"):  # a lead of another company is not found, not empty
            lead_id = subject_id.removeprefix("lead:")
            known = lead_id.isdigit() and int(lead_id) <= MAX_ID
            lead_get(self.tenant, int(lead_id) if known else 0)
        events = selectors.audit_events(self.tenant, subject_id)
        return Response({"subject": subject_id, "events": [_event(e) for e in events]})


def _event(event) -> dict:
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "occurred_at": event.occurred_at,
        "received_at": event.received_at,
        "source": event.source,
        "properties": event.properties,
        "decisions": [services.decision_dict(d) for d in event.decisions.all()],
    }


SUBJECT = OpenApiParameter("subject", OpenApiTypes.STR, OpenApiParameter.QUERY, required=False)


@extend_schema(tags=["messaging"], parameters=[TENANT_ID, SUBJECT])
class SentMessagesAPI(RulesAPIView):
    @extend_schema(
        operation_id="listRuleMessages",
        summary="What the rules sent (or queued, or alerted), newest first, at most 500",
        responses={200: SentMessageSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        subject = request.query_params.get("subject") or None
        rows = list(selectors.sent_decisions(self.tenant, subject)[:500])
        statuses = selectors.message_statuses(self.tenant, [d.message_id for d in rows])
        return Response([_sent(d, statuses.get(d.message_id, "")) for d in rows])


def _sent(decision, message_status: str) -> dict:
    return {
        "decision_id": decision.pk,
        "rule": decision.rule.code,
        "event_id": decision.event.event_id,
        "subject": decision.subject,
        "channel": decision.version.channel or decision.version.action,
        "outcome": decision.outcome,
        "message_id": decision.message_id,
        "message_status": message_status,
        "created_at": decision.created_at,
    }
