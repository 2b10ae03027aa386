"""/api/v1/tenants/{tenant_id}/tickets/ (POST a ticket), …/upsell/cases/ (the cases) and
…/upsell/cases/{case_id}/won/ (mark a case won)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from apps.core.api import error_responses
from apps.core.errors import ValidationFailed
from apps.features.guards import ensure_feature
from apps.tenants.api_base import TENANT_ID, TenantAPIView
from apps.tenants.roles import Role
from apps.upsell import selectors
from apps.upsell.helpdesk import generic_ticket
from apps.upsell.models import CaseStatus, TicketSource
from apps.upsell.serializers import (
    CaseSerializer,
    CaseWonSerializer,
    TicketInSerializer,
    TicketOutSerializer,
)
from apps.upsell.services.intake import ticket_receive
from apps.upsell.services.won import case_mark_won

TOOL = "upsell"
CASE_ID = OpenApiParameter("case_id", OpenApiTypes.INT, OpenApiParameter.PATH)
STATUS = OpenApiParameter(
    "status", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=CaseStatus.values, required=False
)
LOCKED = " Needs the upsell tool (403 `feature_locked`)."
MAX_CASES = 200


@extend_schema(tags=["upsell"], parameters=[TENANT_ID])
class TicketCreateAPI(TenantAPIView):
    roles = {"POST": Role.OPERATOR}

    @extend_schema(
        operation_id="createTicket",
        summary="Submit a support ticket for upsell classification",
        description="Idempotent on the ticket `id`: the same content again queues nothing "
        "(200); a new ticket or new content is classified in the background (202)." + LOCKED,
        request=TicketInSerializer,
        responses={
            200: TicketOutSerializer,
            202: TicketOutSerializer,
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request, tenant_id):
        ensure_feature(self.tenant, TOOL)
        serializer = TicketInSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        for key in ("created_at", "closed_at"):
            data[key] = data[key].isoformat() if data.get(key) else None
        ticket, queued = ticket_receive(
            self.tenant, TicketSource.API, generic_ticket({"ticket": data})
        )
        body = {
            "id": ticket.pk,
            "external_id": ticket.external_id,
            "source": ticket.source,
            "classification_status": ticket.classification_status,
            "queued": queued,
        }
        return Response(TicketOutSerializer(body).data, status=202 if queued else 200)


@extend_schema(tags=["upsell"], parameters=[TENANT_ID])
class CaseListAPI(TenantAPIView):
    roles = {"GET": Role.ANALYST, "HEAD": Role.ANALYST}

    @extend_schema(
        operation_id="listUpsellCases",
        summary="Upsell cases with their outreach status, newest first (at most 200)",
        description=LOCKED.strip(),
        parameters=[STATUS],
        responses={200: CaseSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, tenant_id):
        ensure_feature(self.tenant, TOOL)
        status = request.query_params.get("status")
        if status is not None and status not in CaseStatus.values:
            raise ValidationFailed(
                "Unknown status.", fields={"status": [f"One of: {', '.join(CaseStatus.values)}."]}
            )
        cases = selectors.case_list(self.tenant, status=status or "")[:MAX_CASES]
        return Response(CaseSerializer(cases, many=True).data)


@extend_schema(tags=["upsell"], parameters=[TENANT_ID, CASE_ID])
class CaseWonAPI(TenantAPIView):
    roles = {"POST": Role.ADMIN}

    @extend_schema(
        operation_id="markUpsellCaseWon",
        summary="Mark an upsell case won, optionally with the amount",
        description="A tenant admin records that the upsell was sold: the case becomes `won` "
        "and its lead `won`. Only a case whose outreach finished (`done` or `failed`) can be "
        "won; any other answers 409 `illegal_transition`. `amount` is in minor units with its "
        "ISO 4217 `currency`." + LOCKED,
        request=CaseWonSerializer,
        responses={200: CaseSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, tenant_id, case_id):
        ensure_feature(self.tenant, TOOL)
        case = selectors.case_get(self.tenant, case_id)
        serializer = CaseWonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case_mark_won(case, actor=request.user, via="api", **serializer.validated_data)
        return Response(CaseSerializer(selectors.case_get(self.tenant, case_id)).data)
