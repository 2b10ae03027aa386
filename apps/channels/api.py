"""/api/v1/tenants/{tenant_id}/channels/: connect, list, change, test and remove channels."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.channels import selectors, services
from apps.channels.serializers import (
    ChannelCreateSerializer,
    ChannelSerializer,
    ChannelUpdateSerializer,
)
from apps.core.api import error_responses, validated
from apps.features.guards import ensure_feature
from apps.tenants.api_base import ADMIN_ONLY, TENANT_ID, TenantAPIView

CHANNEL_ID = OpenApiParameter("channel_id", OpenApiTypes.INT, OpenApiParameter.PATH)
TOOL = "channels"


@extend_schema(tags=["channels"], parameters=[TENANT_ID])
class ChannelCollectionAPI(TenantAPIView):
    roles = ADMIN_ONLY

    @extend_schema(
        operation_id="listChannels",
        summary="The company's channels (credentials masked, never returned)",
        responses={200: ChannelSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        return Response(ChannelSerializer(selectors.channel_list(self.tenant), many=True).data)

    @extend_schema(
        operation_id="connectChannel",
        summary="Connect a channel with the company's own provider credentials",
        description="The credentials are encrypted at rest and never returned. Needs the "
        "channels tool (403 `feature_locked`); the plan caps the number of channels (403 "
        "`channel_limit_reached`). A missing field answers 400 naming it.",
        request=ChannelCreateSerializer,
        responses={201: ChannelSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id):
        ensure_feature(self.tenant, TOOL)
        data = validated(ChannelCreateSerializer, request)
        channel = services.channel_create(tenant=self.tenant, **data)
        return Response(ChannelSerializer(channel).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["channels"], parameters=[TENANT_ID, CHANNEL_ID])
class ChannelDetailAPI(TenantAPIView):
    roles = ADMIN_ONLY

    @extend_schema(
        operation_id="updateChannel",
        summary="Rename, enable/disable, or replace some credentials or settings",
        request=ChannelUpdateSerializer,
        responses={200: ChannelSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, tenant_id, channel_id):
        channel = selectors.channel_get(self.tenant, channel_id)
        data = validated(ChannelUpdateSerializer, request)
        channel = services.channel_update(channel, **data)
        return Response(ChannelSerializer(channel).data)

    @extend_schema(
        operation_id="deleteChannel",
        summary="Remove a channel and its credentials",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, tenant_id, channel_id):
        services.channel_delete(selectors.channel_get(self.tenant, channel_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["channels"], parameters=[TENANT_ID, CHANNEL_ID])
class ChannelTestAPI(TenantAPIView):
    roles = ADMIN_ONLY

    @extend_schema(
        operation_id="testChannel",
        summary="Test the connection: the provider's cheapest authenticated call",
        description="Stores and answers `status` connected or error, the provider's own "
        "message in `last_error` and `last_tested_at`. Wrong keys answer 200 with status error.",
        request=None,
        responses={200: ChannelSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, tenant_id, channel_id):
        channel = services.channel_test(selectors.channel_get(self.tenant, channel_id))
        return Response(ChannelSerializer(channel).data)
