from django.urls import path

from apps.tenants import views

app_name = "tenants"

team = "t/<slug:tenant_slug>/team/"

urlpatterns = [
    path("companies/new/", views.tenant_create, name="create"),
    path(team, views.team, name="team"),
    path(f"{team}invitations/", views.invitation_create, name="invitation_create"),
    path(
        f"{team}invitations/<int:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        f"{team}invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(f"{team}members/<int:user_id>/role/", views.member_role, name="member_role"),
    path(f"{team}members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
    path(f"{team}leave/", views.team_leave, name="leave"),
    path("t/<slug:tenant_slug>/settings/", views.tenant_settings, name="settings"),
    path("t/<slug:tenant_slug>/settings/staff-access/", views.staff_access, name="staff_access"),
    path("invitations/resume/", views.invitation_resume, name="invitation_resume"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
