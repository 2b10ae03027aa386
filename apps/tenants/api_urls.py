"""/api/v1/tenants/… and /api/v1/invitations/…"""

from django.urls import path

from apps.tenants import api

tenant = "tenants/<str:tenant_id>/"

urlpatterns = [
    path("tenants/", api.TenantListCreateAPI.as_view(), name="api-tenants"),
    path(tenant, api.TenantDetailAPI.as_view(), name="api-tenant"),
    path(f"{tenant}team/", api.TeamAPI.as_view(), name="api-team"),
    path(
        f"{tenant}team/invitations/",
        api.InvitationCreateAPI.as_view(),
        name="api-team-invitations",
    ),
    path(
        f"{tenant}team/invitations/<int:invitation_id>/",
        api.InvitationDetailAPI.as_view(),
        name="api-team-invitation",
    ),
    path(f"{tenant}team/<int:user_id>/", api.MemberDetailAPI.as_view(), name="api-team-member"),
    path("invitations/accept", api.InvitationAcceptAPI.as_view(), name="api-invitation-accept"),
]
