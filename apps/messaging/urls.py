"""Dashboard routes of conversations: the inbox under /t/<tenant_slug>/inbox/ and the
conversation card of a lead under /t/<tenant_slug>/leads/<id>/conversation/."""

from django.urls import path

from apps.messaging import views

app_name = "messaging"

base = "t/<slug:tenant_slug>/inbox/"
conversation = f"{base}<int:conversation_id>/"
lead = "t/<slug:tenant_slug>/leads/<int:lead_id>/conversation/"

urlpatterns = [
    path(base, views.inbox_index, name="inbox"),
    path(f"{base}badge/", views.inbox_badge, name="badge"),
    path(f"{base}routing/", views.inbox_routing, name="routing"),
    path(f"{conversation}take/", views.conversation_take, name="take"),
    path(f"{conversation}close/", views.conversation_close, name="close"),
    path(lead, views.lead_thread, name="thread"),
    path(f"{lead}reply-box/", views.lead_reply_box, name="reply_box"),
    path(f"{lead}reply/", views.lead_reply, name="reply"),
    path(f"{lead}messages/<int:message_id>/resend/", views.message_resend, name="resend"),
]
