"""Tenant API keys (admin) and the widget's publishable key.

They live with the leads API because leads are what they open: server-to-server submission
and the public widget.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api import error_responses
from apps.features.guards import ensure_feature
from apps.leads.api.leads import TENANT_ID
from apps.leads.serializers import (
    APIKeyCreatedSerializer,
    APIKeyCreateSerializer,
    APIKeySerializer,
    PublishableKeySerializer,
)
from apps.tenants import keys
from apps.tenants.api_base import ADMIN_ONLY, TenantAPIView

KEY_ID = OpenApiParameter("key_id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema(tags=["api keys"], parameters=[TENANT_ID])
class APIKeyCollectionAPI(TenantAPIView):
    roles = ADMIN_ONLY

    @extend_schema(
        summary="The company's API keys (never the keys themselves)",
        responses={200: APIKeySerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id):
        return Response(APIKeySerializer(keys.api_key_list(self.tenant), many=True).data)

    @extend_schema(
        summary="Create an API key — the full key is in this answer only",
        description="Use it as `Authorization: Api-Key <key>` or `X-Api-Key: <key>`. Only its "
        "hash is stored: it cannot be shown again. Needs the API access tool "
        "(403 `feature_locked`).",
        request=APIKeyCreateSerializer,
        responses={201: APIKeyCreatedSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id):
        ensure_feature(self.tenant, "api_access")
        key, raw = self.service_call(keys.api_key_create, APIKeyCreateSerializer)
        data = {**APIKeySerializer(key).data, "key": raw}
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["api keys"], parameters=[TENANT_ID, KEY_ID])
class APIKeyDetailAPI(TenantAPIView):
    roles = ADMIN_ONLY

    @extend_schema(
        summary="Revoke an API key (requests with it answer 401 from now on)",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, tenant_id, key_id):
        self.service_call(keys.api_key_revoke, key_id=key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["widget"], parameters=[TENANT_ID])
class PublishableKeyAPI(TenantAPIView):
    @extend_schema(
        summary="The widget's publishable key",
        description="Every company has one from its creation. 404 `no_widget_key` when staff "
        "revoked it: rotating issues a new one.",
        responses={200: PublishableKeySerializer, **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        key = keys.publishable_key_get(self.tenant)
        return Response(PublishableKeySerializer(key).data)


@extend_schema(tags=["widget"], parameters=[TENANT_ID])
class PublishableKeyRotateAPI(TenantAPIView):
    @extend_schema(
        summary="Rotate the widget's publishable key (the old one answers 404 at once)",
        request=None,
        responses={201: PublishableKeySerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, tenant_id):
        key = keys.publishable_key_rotate(self.tenant, actor=request.user)
        return Response(PublishableKeySerializer(key).data, status=status.HTTP_201_CREATED)
