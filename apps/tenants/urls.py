from django.urls import path

from apps.tenants import views

app_name = "tenants"

urlpatterns = [
    path("invitations/resume/", views.invitation_resume, name="invitation_resume"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
