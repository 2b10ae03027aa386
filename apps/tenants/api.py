"""Tenant API: the caller's companies, company settings, the team and invitations."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.services import user_ensure_email_verified
from apps.core.api import error_responses, validated
from apps.tenants import selectors, services
from apps.tenants.api_base import TenantAPIView
from apps.tenants.roles import Role
from apps.tenants.serializers import (
    InvitationAcceptSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    MemberSerializer,
    RoleChangeSerializer,
    TeamSerializer,
    TenantCreateSerializer,
    TenantSerializer,
    TenantUpdateSerializer,
)

TENANT_ID = OpenApiParameter(
    "tenant_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The tenant's id (UUID); its slug is accepted too.",
)
USER_ID = OpenApiParameter("user_id", OpenApiTypes.INT, OpenApiParameter.PATH)
INVITATION_ID = OpenApiParameter("invitation_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class TenantListCreateAPI(GenericAPIView):
    serializer_class = TenantSerializer

    def get_queryset(self):
        return selectors.memberships_for_user(self.request.user).order_by("tenant__name", "pk")

    @extend_schema(
        tags=["tenants"],
        summary="The caller's companies with the caller's role",
        responses={200: TenantSerializer(many=True), **error_responses(401)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TenantSerializer(page, many=True).data)

    @extend_schema(
        tags=["tenants"],
        summary="Create a company; the caller becomes its administrator",
        description="Needs a confirmed e-mail (403 `email_not_verified`). The companies a "
        "user owns are limited by the best plan among them (Trial and Start 1, Pro 3, "
        "Business unlimited; companies joined by invitation do not count): past it, 403 "
        "`tenant_limit_reached` with `limit`, the `plan` that allows more and the "
        "`upgrade_url` of the company to upgrade.",
        request=TenantCreateSerializer,
        responses={201: TenantSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        data = validated(TenantCreateSerializer, request)
        user_ensure_email_verified(request.user)
        tenant = services.tenant_create(user=request.user, **data)
        membership = selectors.membership_resolve(request.user, tenant.id)
        return Response(TenantSerializer(membership).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["tenants"], parameters=[TENANT_ID])
class TenantDetailAPI(TenantAPIView):
    roles = {**TenantAPIView.roles, "PATCH": Role.ADMIN}

    @extend_schema(
        summary="A company (any member)",
        responses={200: TenantSerializer, **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        return Response(TenantSerializer(self.membership).data)

    @extend_schema(
        summary="Change a company's name, domain or widget origins (administrators)",
        request=TenantUpdateSerializer,
        responses={200: TenantSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, tenant_id):
        serializer = TenantUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.tenant_update(tenant=self.tenant, actor=request.user, **serializer.validated_data)
        return Response(TenantSerializer(self.membership).data)


@extend_schema(tags=["team"], parameters=[TENANT_ID])
class TeamAPI(TenantAPIView):
    @extend_schema(
        summary="Members and pending invitations (any member)",
        responses={200: TeamSerializer, **error_responses(401, 404)},
    )
    def get(self, request, tenant_id):
        team = {
            "members": selectors.team_list(self.tenant),
            "invitations": selectors.invitations_pending(self.tenant),
        }
        return Response(TeamSerializer(team).data)


@extend_schema(tags=["team"], parameters=[TENANT_ID])
class InvitationCreateAPI(TenantAPIView):
    @extend_schema(
        summary="Invite someone by e-mail (administrators)",
        description="Re-inviting a pending address replaces its link. A current member "
        "answers 409 `already_member`. Members plus pending invitations are limited by the "
        "plan: past it, 403 `member_limit_reached` with `limit`, the `plan` that allows more "
        "and the `upgrade_url`.",
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, tenant_id):
        invitation, _token = self.service_call(
            services.invitation_create, InvitationCreateSerializer
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["team"], parameters=[TENANT_ID, INVITATION_ID])
class InvitationDetailAPI(TenantAPIView):
    @extend_schema(
        summary="Revoke a pending invitation (administrators)",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request, tenant_id, invitation_id):
        invitation = selectors.invitation_get(self.tenant, invitation_id)
        self.service_call(services.invitation_revoke, invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["team"], parameters=[TENANT_ID, USER_ID])
class MemberDetailAPI(TenantAPIView):
    # Any member may remove himself (leave); removing others is checked by the service.
    roles = {**TenantAPIView.roles, "PATCH": Role.ADMIN, "DELETE": Role.ANALYST}
    people_only = frozenset({"PATCH", "DELETE"})

    @extend_schema(
        summary="Change a member's role (administrators)",
        description="The last administrator cannot be demoted: 409 `last_admin`.",
        request=RoleChangeSerializer,
        responses={200: MemberSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, tenant_id, user_id):
        serializer = RoleChangeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        membership = selectors.member_get(self.tenant, user_id)
        if "role" in serializer.validated_data:  # an empty PATCH changes nothing
            membership = services.membership_change_role(
                tenant=self.tenant,
                actor=request.user,
                membership=membership,
                role=serializer.validated_data["role"],
            )
        return Response(MemberSerializer(membership).data)

    @extend_schema(
        summary="Remove a member (administrators) or leave the company (yourself)",
        description="The last administrator cannot leave or be removed: 409 `last_admin`.",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request, tenant_id, user_id):
        membership = selectors.member_get(self.tenant, user_id)
        self.service_call(services.membership_remove, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationAcceptAPI(APIView):
    @extend_schema(
        tags=["team"],
        summary="Accept an invitation with the token from the e-mailed link",
        description="Errors: unknown token 404 `invitation_invalid`, expired 410 "
        "`invitation_expired`, used 409 `invitation_used`, sent to another address 403 "
        "`invitation_wrong_email`.",
        request=InvitationAcceptSerializer,
        responses={200: TenantSerializer, **error_responses(400, 401, 403, 404, 409, 410)},
    )
    def post(self, request):
        data = validated(InvitationAcceptSerializer, request)
        membership = services.invitation_accept(token=data["token"], user=request.user)
        return Response(TenantSerializer(membership).data)
