"""/api/v1/tenants/{tenant_id}/webhooks/: endpoints (create, list, change, remove, test) and
deliveries (the log, resend). Admins only; the webhooks tool is needed."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.core.api import MAX_ID, DefaultPagination, error_responses, query_int, validated
from apps.core.errors import ValidationFailed
from apps.features.guards import RequiresFeature
from apps.integrations import selectors, services
from apps.integrations.models import DeliveryStatus
from apps.integrations.outbox import TOOL
from apps.integrations.serializers import (
    DeliveryDetailSerializer,
    DeliverySerializer,
    EndpointCreatedSerializer,
    EndpointCreateSerializer,
    EndpointSerializer,
    EndpointUpdateSerializer,
)
from apps.tenants.api_base import ADMIN_ONLY, TENANT_ID, TenantAPIView

ENDPOINT_ID = OpenApiParameter("endpoint_id", OpenApiTypes.INT, OpenApiParameter.PATH)
DELIVERY_ID = OpenApiParameter("delivery_id", OpenApiTypes.INT, OpenApiParameter.PATH)
TAGS = ["webhooks"]


class WebhooksAPIView(TenantAPIView):
    roles = ADMIN_ONLY
    permission_classes = [IsAuthenticated, RequiresFeature(TOOL)]


@extend_schema(tags=TAGS, parameters=[TENANT_ID])
class EndpointCollectionAPI(WebhooksAPIView):
    @extend_schema(
        operation_id="listWebhookEndpoints",
        summary="The company's webhook endpoints (secrets masked)",
        responses={200: EndpointSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        endpoints = selectors.endpoint_list(self.tenant)
        return Response(EndpointSerializer(endpoints, many=True).data)

    @extend_schema(
        operation_id="createWebhookEndpoint",
        summary="Register an endpoint: its signing secret is in this answer only",
        description="The URL must be https and resolve to public addresses only (no private, "
        "loopback, link-local or metadata address): otherwise 400 on `url`. Events are signed "
        "with HMAC-SHA256 in `Fastlead-Signature` (see docs/webhooks.md).",
        request=EndpointCreateSerializer,
        responses={201: EndpointCreatedSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id):
        endpoint, secret = self.service_call(services.endpoint_create, EndpointCreateSerializer)
        data = {**EndpointSerializer(endpoint).data, "signing_secret": secret}
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS, parameters=[TENANT_ID, ENDPOINT_ID])
class EndpointDetailAPI(WebhooksAPIView):
    @extend_schema(
        operation_id="getWebhookEndpoint",
        summary="One endpoint",
        responses={200: EndpointSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id, endpoint_id):
        return Response(EndpointSerializer(selectors.endpoint_get(self.tenant, endpoint_id)).data)

    @extend_schema(
        operation_id="updateWebhookEndpoint",
        summary="Change the URL, events or description; enable or disable",
        description="Enabling an endpoint that was disabled sends its kept events, in order.",
        request=EndpointUpdateSerializer,
        responses={200: EndpointSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, tenant_id, endpoint_id):
        endpoint = selectors.endpoint_get(self.tenant, endpoint_id)
        data = validated(EndpointUpdateSerializer, request)
        endpoint = services.endpoint_update(endpoint, **data)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(
        operation_id="deleteWebhookEndpoint",
        summary="Remove an endpoint with its deliveries and log",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, tenant_id, endpoint_id):
        services.endpoint_delete(selectors.endpoint_get(self.tenant, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=TAGS, parameters=[TENANT_ID, ENDPOINT_ID])
class EndpointTestAPI(WebhooksAPIView):
    @extend_schema(
        operation_id="testWebhookEndpoint",
        summary="Send a `webhook.test` event to this endpoint",
        description="Queued: answers 202 with the delivery; its log shows the receiver's "
        "answer. A URL that now resolves to a private address answers 400 on `url`.",
        request=None,
        responses={202: DeliverySerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id, endpoint_id):
        delivery = services.endpoint_test(selectors.endpoint_get(self.tenant, endpoint_id))
        delivery = selectors.delivery_get(self.tenant, delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=TAGS, parameters=[TENANT_ID])
class DeliveryCollectionAPI(WebhooksAPIView):
    pagination_class = DefaultPagination

    @extend_schema(
        operation_id="listWebhookDeliveries",
        summary="Deliveries, newest first (paginated with limit/offset)",
        parameters=[
            OpenApiParameter(
                "endpoint", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, required=False
            ),
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=DeliveryStatus.values, required=False
            ),
        ],
        responses={200: DeliverySerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, tenant_id):
        endpoint_id = query_int(request, "endpoint", default=0, min_value=1, max_value=MAX_ID)
        state = request.query_params.get("status") or None
        if state is not None and state not in DeliveryStatus.values:
            raise ValidationFailed(
                "Unknown status.", fields={"status": [", ".join(DeliveryStatus.values)]}
            )
        deliveries = selectors.delivery_list(
            self.tenant, endpoint_id=endpoint_id or None, status=state
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(deliveries, request, self)
        return paginator.get_paginated_response(DeliverySerializer(page, many=True).data)


@extend_schema(tags=TAGS, parameters=[TENANT_ID, DELIVERY_ID])
class DeliveryDetailAPI(WebhooksAPIView):
    @extend_schema(
        operation_id="getWebhookDelivery",
        summary="A delivery with its body and the log of its attempts",
        responses={200: DeliveryDetailSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id, delivery_id):
        delivery = selectors.delivery_get(self.tenant, delivery_id)
        delivery.attempt_log = selectors.delivery_attempts(self.tenant, delivery)
        return Response(DeliveryDetailSerializer(delivery).data)


@extend_schema(tags=TAGS, parameters=[TENANT_ID, DELIVERY_ID])
class DeliveryResendAPI(WebhooksAPIView):
    @extend_schema(
        operation_id="resendWebhookDelivery",
        summary="Send a delivery again, now",
        request=None,
        responses={202: DeliverySerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, tenant_id, delivery_id):
        delivery = services.delivery_resend_queue(selectors.delivery_get(self.tenant, delivery_id))
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
