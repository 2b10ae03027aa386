"""Lead lists CRUD; customers and products (read)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api import DefaultPagination, error_responses, validated
from apps.leads import selectors, services
from apps.leads.serializers import (
    CustomerSerializer,
    LeadListPatchSerializer,
    LeadListSerializer,
    LeadListWriteSerializer,
    ProductSerializer,
)
from apps.tenants.api_base import TENANT_ID, TenantAPIView
from apps.tenants.api_key_auth import actor_of
from apps.tenants.roles import Role

LIST_ID = OpenApiParameter("list_id", OpenApiTypes.INT, OpenApiParameter.PATH)
LIST_ROLES = {
    **TenantAPIView.roles,
    "POST": Role.OPERATOR,
    "PATCH": Role.OPERATOR,
    "DELETE": Role.OPERATOR,
}


class _PagedAPI(TenantAPIView):
    pagination_class = DefaultPagination

    def paged(self, queryset, serializer_class):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


@extend_schema(tags=["lists"], parameters=[TENANT_ID])
class LeadListCollectionAPI(_PagedAPI):
    roles = LIST_ROLES

    @extend_schema(
        summary="Lead lists",
        responses={200: LeadListSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        return self.paged(selectors.leadlist_list(self.tenant), LeadListSerializer)

    @extend_schema(
        summary="Create a list (names are unique per company: 409 `list_name_taken`)",
        request=LeadListWriteSerializer,
        responses={201: LeadListSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, tenant_id):
        data = validated(LeadListWriteSerializer, request)
        lead_list = services.leadlist_create(
            tenant=self.tenant, actor=actor_of(request.user), **data
        )
        return Response(LeadListSerializer(lead_list).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["lists"], parameters=[TENANT_ID, LIST_ID])
class LeadListDetailAPI(TenantAPIView):
    roles = LIST_ROLES

    @extend_schema(
        summary="A list", responses={200: LeadListSerializer, **error_responses(401, 404)}
    )
    def get(self, request, tenant_id, list_id):
        return Response(LeadListSerializer(selectors.leadlist_get(self.tenant, list_id)).data)

    @extend_schema(
        summary="Rename or describe a list",
        request=LeadListPatchSerializer,
        responses={200: LeadListSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, tenant_id, list_id):
        serializer = LeadListPatchSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        lead_list = services.leadlist_update(
            tenant=self.tenant,
            actor=actor_of(request.user),
            list_id=list_id,
            changes=serializer.validated_data,
        )
        return Response(LeadListSerializer(lead_list).data)

    @extend_schema(
        summary="Delete a list (its leads stay, outside any list)",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, tenant_id, list_id):
        services.leadlist_delete(tenant=self.tenant, actor=actor_of(request.user), list_id=list_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["leads"], parameters=[TENANT_ID])
class CustomerCollectionAPI(_PagedAPI):
    @extend_schema(
        summary="Customers (the clients leads are for; created on first sight by ingestion)",
        responses={200: CustomerSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        return self.paged(selectors.customers_list(self.tenant), CustomerSerializer)


@extend_schema(tags=["leads"], parameters=[TENANT_ID])
class ProductCollectionAPI(_PagedAPI):
    @extend_schema(
        summary="Products (the offers leads are about; created on first sight by ingestion)",
        responses={200: ProductSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        return self.paged(selectors.products_list(self.tenant), ProductSerializer)
