"""/api/v1/tenants/{tenant_id}/conversations/ and the leads' messages: the inbox over the API.

Operators and admins (analysts do not read conversations: personal data). Sending needs the
channels tool. A message that cannot go answers 400 with a code: `no_channel`, `no_address`,
`suppressed` (with `reason`), `whatsapp_window_closed`, `too_long`.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from apps.core.api import DefaultPagination, error_responses
from apps.features.guards import ensure_feature
from apps.leads.selectors import lead_get
from apps.messaging import selectors, services
from apps.messaging.models import ConversationStatus
from apps.messaging.serializers import (
    AssignSerializer,
    ConversationFilterSerializer,
    ConversationSerializer,
    MessageSerializer,
    ReplySerializer,
)
from apps.tenants.api_base import TENANT_ID, TenantAPIView
from apps.tenants.roles import Role

CONVERSATION_ID = OpenApiParameter("conversation_id", OpenApiTypes.INT, OpenApiParameter.PATH)
LEAD_ID = OpenApiParameter("lead_id", OpenApiTypes.INT, OpenApiParameter.PATH)
MESSAGE_ID = OpenApiParameter("message_id", OpenApiTypes.INT, OpenApiParameter.PATH)
OPERATORS = {m: Role.OPERATOR for m in ("GET", "HEAD", "OPTIONS", "POST")}
TOOL = "channels"


class _MessagingAPI(TenantAPIView):
    roles = OPERATORS
    pagination_class = DefaultPagination

    def paged(self, queryset, serializer_class):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


@extend_schema(tags=["conversations"], parameters=[TENANT_ID])
class ConversationCollectionAPI(_MessagingAPI):
    @extend_schema(
        operation_id="listConversations",
        summary="The inbox: conversations newest first, with unread counts",
        parameters=[ConversationFilterSerializer],
        responses={200: ConversationSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, tenant_id):
        # a plain dict: an empty `?status=` is a value to refuse, not a field left out
        filters = ConversationFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        query = selectors.conversation_list(
            self.tenant, {**filters.validated_data, "user": request.user}
        )
        return self.paged(query, ConversationSerializer)


@extend_schema(tags=["conversations"], parameters=[TENANT_ID, CONVERSATION_ID])
class ConversationDetailAPI(_MessagingAPI):
    @extend_schema(
        operation_id="getConversation",
        summary="One conversation",
        responses={200: ConversationSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id, conversation_id):
        conversation = selectors.conversation_get(self.tenant, conversation_id)
        return Response(ConversationSerializer(conversation).data)


@extend_schema(tags=["conversations"], parameters=[TENANT_ID, CONVERSATION_ID])
class ConversationActionAPI(_MessagingAPI):
    """POST …/read/, …/close/, …/reopen/ (no body)."""

    action = ""

    @extend_schema(
        summary="Mark read, close or reopen",
        request=None,
        responses={200: ConversationSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, tenant_id, conversation_id):
        conversation = selectors.conversation_get(self.tenant, conversation_id)
        if self.action == "read":
            services.conversation_mark_read(conversation)
        elif self.action == "close":
            services.conversation_set_status(conversation, ConversationStatus.CLOSED)
        else:
            services.conversation_set_status(conversation, ConversationStatus.OPEN)
        return Response(ConversationSerializer(conversation).data)


@extend_schema(tags=["conversations"], parameters=[TENANT_ID, CONVERSATION_ID])
class ConversationAssignAPI(_MessagingAPI):
    """POST …/assign/ `{user_id}`."""

    @extend_schema(
        operation_id="assignConversation",
        summary="Assign the conversation's lead to a member (null unassigns)",
        request=AssignSerializer,
        responses={200: ConversationSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id, conversation_id):
        conversation = selectors.conversation_get(self.tenant, conversation_id)
        self.service_call(services.conversation_assign, AssignSerializer, conversation=conversation)
        return Response(ConversationSerializer(conversation).data)


@extend_schema(tags=["conversations"], parameters=[TENANT_ID, LEAD_ID])
class LeadMessagesAPI(_MessagingAPI):
    @extend_schema(
        operation_id="listLeadMessages",
        summary="A lead's whole conversation, oldest first",
        responses={200: MessageSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, tenant_id, lead_id):
        lead = lead_get(self.tenant, lead_id)
        return self.paged(selectors.message_list(self.tenant, lead), MessageSerializer)

    @extend_schema(
        operation_id="replyToLead",
        summary="Write to the lead: stored, then sent through the channel's provider",
        description="Answers 201 with the message `queued`; its status then follows the "
        "provider (sent, delivered, read, failed; `unknown` when the outcome could not be "
        "known). 400 codes: `no_channel`, `no_address`, `suppressed` (`reason`: opt_out, "
        "bounce, complaint, manual), `whatsapp_window_closed` (more than 24 h since the "
        "person's last WhatsApp message), `too_long` (over the provider's limit: Telegram and "
        "WhatsApp 4096, Twilio 1600, SMSC 1000 characters), `unknown_template` (not one of the "
        "channel's approved templates, or a parameter missing).",
        request=ReplySerializer,
        responses={201: MessageSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id, lead_id):
        ensure_feature(self.tenant, TOOL)
        lead = lead_get(self.tenant, lead_id)
        body = ReplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = services.operator_reply(
            tenant=self.tenant, lead=lead, author=request.user, **body.validated_data
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["conversations"], parameters=[TENANT_ID, MESSAGE_ID])
class MessageResendAPI(_MessagingAPI):
    @extend_schema(
        operation_id="resendMessage",
        summary="Send a failed message, or one whose outcome is unknown, again",
        description="400 `not_resendable` for any other message.",
        request=None,
        responses={200: MessageSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, tenant_id, message_id):
        ensure_feature(self.tenant, TOOL)
        message = selectors.message_get(self.tenant, message_id)
        message = services.message_resend_request(self.tenant, message)
        return Response(MessageSerializer(message).data)
