"""/api/v1/tenants/{tenant_id}/conversations/, …/leads/{id}/messages/, …/messages/{id}/resend/."""

from django.urls import path

from apps.messaging import api

tenant = "tenants/<str:tenant_id>/"
conversation = f"{tenant}conversations/<int:conversation_id>/"

urlpatterns = [
    path(
        f"{tenant}conversations/",
        api.ConversationCollectionAPI.as_view(),
        name="api-conversations",
    ),
    path(conversation, api.ConversationDetailAPI.as_view(), name="api-conversation"),
    *[
        path(
            f"{conversation}{action}/",
            api.ConversationActionAPI.as_view(action=action),
            name=f"api-conversation-{action}",
        )
        for action in ("read", "close", "reopen")
    ],
    path(
        f"{conversation}assign/",
        api.ConversationAssignAPI.as_view(),
        name="api-conversation-assign",
    ),
    path(
        f"{tenant}leads/<int:lead_id>/messages/",
        api.LeadMessagesAPI.as_view(),
        name="api-lead-messages",
    ),
    path(
        f"{tenant}messages/<int:message_id>/resend/",
        api.MessageResendAPI.as_view(),
        name="api-message-resend",
    ),
]
