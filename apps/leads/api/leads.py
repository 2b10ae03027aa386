"""Leads API: submit (one or up to 10,000), list with filters and cursor, detail, edit, notes,
bulk actions, delete."""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apps.core.api import error_body, error_responses, query_int, validated
from apps.core.errors import ApplicationError, ValidationFailed
from apps.leads import selectors, services
from apps.leads.filters import MAX_Q, ORDERINGS, parse_lead_filters
from apps.leads.ingestion import ingest_leads
from apps.leads.models import LeadStatus, Source
from apps.leads.serializers import (
    BatchResultSerializer,
    BulkResultSerializer,
    BulkSerializer,
    LeadDetailSerializer,
    LeadPageSerializer,
    LeadSerializer,
    LeadSubmissionSerializer,
    LeadUpdateSerializer,
    NoteSerializer,
    SingleResultSerializer,
    TimelineEntrySerializer,
)
from apps.tenants.api_base import TENANT_ID, TenantAPIView
from apps.tenants.api_key_auth import actor_of
from apps.tenants.roles import Role

MAX_ITEMS = 10_000
MAX_BODY_BYTES = 10 * 1024 * 1024

LEAD_ID = OpenApiParameter("lead_id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _comma_separated(values) -> dict:
    """A raw schema for a comma-separated list of `values` (spaces and empty parts ignored,
    as `apps.leads.filters` reads them)."""
    one = "|".join(values)
    return {"type": "string", "pattern": rf"^ *({one})? *(, *({one})? *)*$"}


# a date, a date and time, or empty (no bound: what a blank form field sends)
MOMENT = {
    "anyOf": [
        *({"type": "string", "format": fmt} for fmt in ("date", "date-time")),
        {"type": "string", "maxLength": 0},
    ]
}
FILTER_PARAMETERS = [
    OpenApiParameter(
        "status",
        _comma_separated(LeadStatus.values),
        description="new, contacted, booked, lost (comma-separated)",
    ),
    OpenApiParameter(
        "source",
        _comma_separated(Source.values),
        description="widget, api, import, … (comma-separated)",
    ),
    OpenApiParameter(
        "list",
        {"type": "string", "pattern": r"^ *([0-9]+|none)? *$"},
        description="A list id, or `none`.",
    ),
    OpenApiParameter("lead_type", OpenApiTypes.STR),
    OpenApiParameter(
        "customer", OpenApiTypes.STR, description="Your customer reference or its id."
    ),
    OpenApiParameter("product", OpenApiTypes.STR, description="Your product reference or its id."),
    OpenApiParameter(
        "created_from",
        MOMENT,
        description="A date (2024-04-01: from its start) or an ISO 8601 date and time.",
    ),
    OpenApiParameter(
        "created_to",
        MOMENT,
        description="A date (2024-04-30: to its end) or an ISO 8601 date and time; not "
        "before `created_from`.",
    ),
    OpenApiParameter(
        "assigned",
        {"type": "string", "pattern": r"^ *([0-9]+|me|none)? *$"},
        description="A user id, `me` or `none`.",
    ),
    OpenApiParameter(
        "q",
        {"type": "string", "maxLength": MAX_Q},
        description="Search in name, e-mail, phone, company.",
    ),
    OpenApiParameter(
        "ordering",
        OpenApiTypes.STR,
        enum=list(ORDERINGS),
        description="-created_at (default), created_at, name, -name, status, -status",
    ),
]
LEAD_ROLES = {
    **TenantAPIView.roles,
    "POST": Role.OPERATOR,
    "PATCH": Role.OPERATOR,
    "DELETE": Role.OPERATOR,
}


def read_json_body(request, *, max_bytes: int = MAX_BODY_BYTES):
    """The request's JSON, read once with a size guard before parsing (Content-Length first,
    then the bytes actually read); 400 `payload_too_large` / `malformed_json`."""
    too_large = ApplicationError(
        _("The request body is larger than %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)},
        code="payload_too_large",
    )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes:
        raise too_large
    http = request._request
    raw = http._body if hasattr(http, "_body") else http.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise too_large
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApplicationError(
            _("The request body is not valid JSON: %(error)s") % {"error": exc},
            code="malformed_json",
        ) from None


@extend_schema(tags=["leads"], parameters=[TENANT_ID])
class LeadCollectionAPI(TenantAPIView):
    roles = LEAD_ROLES

    @extend_schema(
        summary="Leads, filtered, newest first, with cursor pagination",
        operation_id="tenants_leads_list",
        description="No total count: follow `next` / `previous`; a page costs the same at "
        "any depth.",
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": selectors.MAX_PAGE_SIZE},
                description="1–200, default 50.",
            ),
        ],
        responses={200: LeadPageSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request, tenant_id):
        filters = parse_lead_filters(request.query_params, user=actor_of(request.user))
        page = selectors.lead_page(
            self.tenant,
            filters,
            cursor=request.query_params.get("cursor") or None,
            limit=_limit(request),
        )
        url = request.build_absolute_uri()
        return Response(
            {
                "results": LeadSerializer(page.results, many=True).data,
                "next": _page_url(url, page.next_cursor),
                "previous": _page_url(url, page.previous_cursor),
            }
        )

    @extend_schema(
        summary="Submit one lead or a list of up to 10,000",
        description=(
            "One object: 201 when created, 200 when merged into an existing lead, 400 with "
            "field errors. A list: 200 with a result per item (index, created / merged / "
            "rejected with field errors) and a summary; valid items are stored in one "
            "transaction, invalid ones store nothing; 422 when every item is rejected. "
            "Bodies over 10 MB or lists over 10,000 items answer 400. New leads count "
            "against the plan's lead limit: beyond a hard limit they are rejected (one "
            "lead: 402 `quota_exceeded`); merges are never refused."
        ),
        request=LeadSubmissionSerializer(many=True, min_length=1, max_length=MAX_ITEMS),
        responses={
            200: BatchResultSerializer,
            201: SingleResultSerializer,
            422: OpenApiResponse(BatchResultSerializer, description="Every item was rejected."),
            **error_responses(400, 401, 402, 403, 404),
        },
    )
    def post(self, request, tenant_id):
        body = read_json_body(request)
        if isinstance(body, dict):
            return self._single(request, body)
        if not isinstance(body, list):
            raise ValidationFailed(_("Send a lead object or a list of leads."), code="invalid_body")
        if not body:
            raise ValidationFailed(_("The list of leads is empty."), code="empty_batch")
        if len(body) > MAX_ITEMS:
            raise ValidationFailed(
                _("At most %(max)s leads per request; this one has %(n)s.")
                % {"max": MAX_ITEMS, "n": len(body)},
                code="too_many_items",
            )
        outcome = self._ingest(request, body)
        data = {"summary": outcome.summary, "results": [r.as_dict() for r in outcome.results]}
        if outcome.summary["rejected"] == len(body):
            data.update(
                error_body("all_rejected", _("Every lead was rejected; nothing was stored."))
            )
            return Response(data, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        return Response(data)

    def _ingest(self, request, items):
        return ingest_leads(
            tenant=self.tenant, items=items, source=Source.API, actor=actor_of(request.user)
        )

    def _single(self, request, body):
        outcome = self._ingest(request, [body])
        if outcome.quota_error is not None:
            raise outcome.quota_error  # 402 quota_exceeded, naming the plan that lifts it
        result = outcome.results[0]
        if result.status == "rejected":
            raise ValidationFailed(_("Some fields are invalid."), fields=result.errors)
        data = result.as_dict()
        data.pop("index")
        data["lead"] = LeadSerializer(selectors.lead_get(self.tenant, result.lead_id)).data
        code = status.HTTP_201_CREATED if result.status == "created" else status.HTTP_200_OK
        return Response(data, status=code)


def _limit(request) -> int:
    return query_int(
        request,
        "limit",
        default=selectors.DEFAULT_PAGE_SIZE,
        min_value=1,
        max_value=selectors.MAX_PAGE_SIZE,
    )


def _page_url(url: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return replace_query_param(remove_query_param(url, "cursor"), "cursor", cursor)


@extend_schema(tags=["leads"], parameters=[TENANT_ID, LEAD_ID])
class LeadDetailAPI(TenantAPIView):
    roles = LEAD_ROLES

    @extend_schema(
        summary="A lead with its latest actions and timeline",
        operation_id="tenants_lead_retrieve",
        responses={200: LeadDetailSerializer, **error_responses(401, 404)},
    )
    def get(self, request, tenant_id, lead_id):
        return Response(LeadDetailSerializer(selectors.lead_detail(self.tenant, lead_id)).data)

    @extend_schema(
        summary="Change status, assignee, list or person fields",
        description="Each change is recorded in the timeline; person fields changed here are "
        "kept as set by hand (`manual_fields`): merges and enrichment never overwrite them.",
        request=LeadUpdateSerializer,
        responses={200: LeadSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, tenant_id, lead_id):
        data = validated(LeadUpdateSerializer, request)
        lead = services.lead_update(
            tenant=self.tenant,
            actor=actor_of(request.user),
            lead_id=lead_id,
            changes=data,
        )
        return Response(LeadSerializer(lead).data)

    @extend_schema(
        summary="Delete a lead with its actions and timeline",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, tenant_id, lead_id):
        services.lead_delete(tenant=self.tenant, actor=actor_of(request.user), lead_id=lead_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["leads"], parameters=[TENANT_ID, LEAD_ID])
class LeadNotesAPI(TenantAPIView):
    roles = LEAD_ROLES

    @extend_schema(
        summary="Add a note to a lead's timeline",
        request=NoteSerializer,
        responses={201: TimelineEntrySerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id, lead_id):
        data = validated(NoteSerializer, request)
        entry = services.lead_note_add(
            tenant=self.tenant,
            actor=actor_of(request.user),
            lead_id=lead_id,
            body=data["body"],
        )
        return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["leads"], parameters=[TENANT_ID])
class LeadBulkAPI(TenantAPIView):
    roles = LEAD_ROLES

    @extend_schema(
        summary="One action on many leads (by ids or by filter, at most 10,000)",
        request=BulkSerializer,
        responses={200: BulkResultSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id):
        serializer = BulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = actor_of(request.user)
        filters = None
        if "filter" in data:
            filters = parse_lead_filters(data["filter"], user=actor)
        result = services.leads_bulk(
            tenant=self.tenant,
            actor=actor,
            action=data["action"],
            value=data.get("value"),
            ids=data.get("ids"),
            filters=filters,
        )
        return Response(result.as_dict())
