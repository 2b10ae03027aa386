"""/api/v1/tenants/{tenant_id}/channels/."""

from django.urls import path

from apps.channels import api

tenant = "tenants/<str:tenant_id>/"

urlpatterns = [
    path(f"{tenant}channels/", api.ChannelCollectionAPI.as_view(), name="api-channels"),
    path(f"{tenant}channels/<int:channel_id>/", api.ChannelDetailAPI.as_view(), name="api-channel"),
    path(
        f"{tenant}channels/<int:channel_id>/test/",
        api.ChannelTestAPI.as_view(),
        name="api-channel-test",
    ),
]
