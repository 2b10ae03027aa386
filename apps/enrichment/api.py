"""AI enrichment API: start a run (one lead, a list, ids or a filter) and follow it.

A start answers 202 at once with the run's id, what will be enriched and the price; the work
runs in the background (`GET …/enrichment-runs/{id}/` shows progress and each lead). A declined
payment answers 402 and enriches nothing; a plan without the tool answers 403 `feature_locked`.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apps.core.api import DefaultPagination, ErrorSerializer, error_responses, query_int
from apps.core.errors import ValidationFailed
from apps.enrichment import selectors
from apps.enrichment.models import LeadEnrichmentStatus
from apps.enrichment.serializers import (
    EnrichBatchSerializer,
    EnrichStartSerializer,
    LeadItemSerializer,
    RunDetailSerializer,
    RunSerializer,
    RunStartedSerializer,
    item_data,
    run_data,
)
from apps.enrichment.services import FEATURE, enrichment_run_start
from apps.features.guards import RequiresFeature
from apps.leads import selectors as lead_selectors
from apps.leads.api.leads import LEAD_ID, TENANT_ID
from apps.tenants.api_base import TenantAPIView
from apps.tenants.api_key_auth import actor_of
from apps.tenants.roles import Role

RUN_ID = OpenApiParameter("run_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
LIST_ID = OpenApiParameter("list_id", OpenApiTypes.INT, OpenApiParameter.PATH)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Optional: a repeated request with the same key within a day returns the "
    "first run instead of starting (and paying for) another.",
)
START_ROLES = {**TenantAPIView.roles, "POST": Role.OPERATOR}
PAYMENT_ERRORS = {
    402: OpenApiResponse(
        ErrorSerializer,
        description="The payment was declined (`payment_declined`, the card's reason) or "
        "there is no way to pay (`payment_method_required`); nothing is enriched. "
        "`run_id` names the declined run.",
    ),
    503: OpenApiResponse(ErrorSerializer, description="The payment provider did not answer."),
}


def _status_url(request, tenant, run) -> str:
    path = reverse("api-enrichment-run", kwargs={"tenant_id": str(tenant.pk), "run_id": run.pk})
    return request.build_absolute_uri(path)


def _started(request, tenant, run) -> Response:
    data = {
        "run_id": str(run.pk),
        "status": run.status,
        "leads_selected": run.leads_selected,
        "leads_billable": run.leads_billable,
        "leads_skipped": run.leads_skipped,
        "price": {"amount": run.price_amount, "currency": run.price_currency},
        "billing_reference": run.billing_reference,
        "offline": run.offline,
        "status_url": _status_url(request, tenant, run),
    }
    return Response(data, status=status.HTTP_202_ACCEPTED)


def _body(request):
    """The JSON body; no body at all counts as `{}` (every field is optional). A body that is
    not an object (null, false, 0, a list) reaches the serializer and is refused with 400."""
    data = request.data
    return {} if hasattr(data, "dict") and not data else data


# --- views -----------------------------------------------------------------------------------


class _StartView(TenantAPIView):
    roles = START_ROLES
    permission_classes = [IsAuthenticated, RequiresFeature(FEATURE)]

    def start(self, request, **scope) -> Response:
        run = enrichment_run_start(
            tenant=self.tenant,
            actor=actor_of(request.user),
            idempotency_key=request.headers.get("Idempotency-Key") or None,
            **scope,
        )
        return _started(request, self.tenant, run)


def _start_schema(operation_id: str, summary: str, request_serializer, parameters):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=request_serializer,
        parameters=[TENANT_ID, *parameters, IDEMPOTENCY_KEY],
        responses={
            202: RunStartedSerializer,
            **error_responses(400, 401, 403, 404),
            **PAYMENT_ERRORS,
        },
        tags=["enrichment"],
    )


class LeadEnrichAPI(_StartView):
    @_start_schema(
        "lead_enrich", "Enrich one lead with AI (paid per lead)", EnrichStartSerializer, [LEAD_ID]
    )
    def post(self, request, tenant_id, lead_id):
        serializer = EnrichStartSerializer(data=_body(request))
        serializer.is_valid(raise_exception=True)
        lead = lead_selectors.lead_get(self.tenant, lead_id)
        return self.start(request, lead_ids=[lead.pk], **serializer.validated_data)


class ListEnrichAPI(_StartView):
    @_start_schema(
        "list_enrich", "Enrich the leads of a list with AI", EnrichStartSerializer, [LIST_ID]
    )
    def post(self, request, tenant_id, list_id):
        serializer = EnrichStartSerializer(data=_body(request))
        serializer.is_valid(raise_exception=True)
        lead_list = lead_selectors.leadlist_get(self.tenant, list_id)
        return self.start(request, list_id=lead_list.pk, **serializer.validated_data)


class LeadsEnrichAPI(_StartView):
    @_start_schema(
        "leads_enrich",
        "Enrich selected leads (ids, up to 10,000) or every lead matching a filter",
        EnrichBatchSerializer,
        [],
    )
    def post(self, request, tenant_id):
        serializer = EnrichBatchSerializer(data=_body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        scope = (
            {"lead_ids": data["lead_ids"]} if "lead_ids" in data else {"filters": data["filter"]}
        )
        return self.start(request, force=data["force"], **scope)


@extend_schema(tags=["enrichment"], parameters=[TENANT_ID])
class EnrichmentRunCollectionAPI(TenantAPIView):
    pagination_class = DefaultPagination

    @extend_schema(
        summary="Enrichment runs, newest first (paginated with limit/offset)",
        responses={200: RunSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        paginator = self.pagination_class()
        runs = paginator.paginate_queryset(selectors.enrichment_runs(self.tenant), request, self)
        return paginator.get_paginated_response([run_data(run) for run in runs])


@extend_schema(tags=["enrichment"], parameters=[TENANT_ID, RUN_ID])
class EnrichmentRunDetailAPI(TenantAPIView):
    @extend_schema(
        summary="An enrichment run: progress, price, billing reference and each lead",
        parameters=[
            OpenApiParameter("page", {"type": "integer", "minimum": 1}, description="From 1."),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": selectors.MAX_PAGE_SIZE},
                description="1-500, default 100.",
            ),
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=LeadEnrichmentStatus.values, required=False
            ),
        ],
        responses={200: RunDetailSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request, tenant_id, run_id):
        run = selectors.enrichment_run_get(self.tenant, run_id)
        item_status = request.query_params.get("status") or None
        if item_status and item_status not in LeadEnrichmentStatus.values:
            raise ValidationFailed(
                _("Unknown status."),
                fields={"status": [", ".join(LeadEnrichmentStatus.values)]},
            )
        page = selectors.enrichment_items_page(
            self.tenant,
            run,
            page=query_int(request, "page", default=1, min_value=1),
            page_size=query_int(
                request,
                "page_size",
                default=selectors.DEFAULT_PAGE_SIZE,
                min_value=1,
                max_value=selectors.MAX_PAGE_SIZE,
            ),
            status=item_status,
        )
        here = request.build_absolute_uri()
        return Response(
            {
                **run_data(run),
                "items": {
                    "count": page.total,
                    "page": page.page,
                    "page_size": page.page_size,
                    "next": replace_query_param(here, "page", page.page + 1)
                    if page.has_next
                    else None,
                    "previous": None
                    if page.page <= 1
                    else (
                        replace_query_param(here, "page", page.page - 1)
                        if page.page > 2
                        else remove_query_param(here, "page")
                    ),
                    "results": [item_data(item) for item in page.results],
                },
            }
        )


@extend_schema(tags=["enrichment"], parameters=[TENANT_ID, LEAD_ID])
class LeadEnrichmentsAPI(TenantAPIView):
    @extend_schema(
        summary="A lead's enrichments, newest first (at most 50)",
        responses={200: LeadItemSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, tenant_id, lead_id):
        lead = lead_selectors.lead_get(self.tenant, lead_id)
        items = selectors.enrichment_runs_for_lead(self.tenant, lead)[:50]
        return Response([{**item_data(item), "run_id": str(item.run_id)} for item in items])
