"""The public web chat API of the widget: /api/public/v1/widget/{publishable_key}/chat/.

POST {"text", "token"?, "client_id"?, "name"?, "page_url"?} stores the visitor's message and
answers {"token", "messages"}; GET ?token=…&after=<id> answers the messages after `after`
(operator replies included). Same gate as the lead form (apps/leads/public_api.py): the
publishable key names the tenant, only the tenant's allowed sites, per-IP and per-key rate
limits, CORS per tenant (apps/tenants/cors.py).
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from pydantic import BaseModel, ConfigDict, ValidationError

from apps.core.errors import ApplicationError
from apps.features.selectors import entitlements_get
from apps.leads import public_gate as gate
from apps.leads.ingestion.schema import field_errors, text
from apps.leads.widget_availability import answer_503_when_database_down
from apps.leads.widget_hooks import submissions_refused
from apps.messaging import webchat
from apps.tenants.scoping import tenant_scope


class ChatPost(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: text(webchat.MAX_LENGTH)
    token: text(500) = ""
    client_id: text(64) = ""
    name: text(200) = ""
    page_url: text(2000) = ""


def _answer(tenant, token: str, after: int, status: int = 200) -> JsonResponse:
    messages = webchat.visitor_messages(tenant, token, after)
    body = {"token": token, "messages": [webchat.as_json(m) for m in messages]}
    return JsonResponse(body, status=status)


@csrf_exempt
@answer_503_when_database_down
def widget_chat(request, publishable_key: str):
    if request.method not in ("GET", "POST"):
        return gate.error_response("method_not_allowed", _("Use GET or POST."), 405)
    widget, error = gate.enter(request, "chat", publishable_key)
    if error:
        return error
    if not gate.sent_from_allowed_site(request, widget):
        return gate.error_response(
            "origin_not_allowed", _("This site is not allowed to use this chat."), 403
        )
    tenant = gate.widget_tenant(widget)
    with tenant_scope(tenant):
        if request.method == "GET":
            token, after = request.GET.get("token", ""), _after(request.GET.get("after"))
            return _answer(tenant, token, after)
        return _post(request, tenant)


def _post(request, tenant) -> JsonResponse:
    body, error = gate.read_body(request)
    if error:
        return error
    try:
        post = ChatPost.model_validate(body if isinstance(body, dict) else {})
    except ValidationError as exc:
        return gate.error_response("invalid", _("Some fields are invalid."), 400, field_errors(exc))
    entitlements = entitlements_get(tenant)
    if entitlements.is_blocked or submissions_refused(tenant.pk):  # closed: read-only
        return gate.unavailable()
    try:
        token, message = webchat.visitor_post(
            tenant,
            token=post.token,
            text=post.text,
            client_id=post.client_id,
            name=post.name,
            page_url=post.page_url,
            entitlements=entitlements,
        )
    except ApplicationError as exc:
        return gate.error_response(exc.code, exc.message, exc.status_code, exc.fields)
    if message is None:
        return gate.unavailable()
    after = _after(request.GET.get("after"))
    return _answer(tenant, token, after, status=201)


def _after(value) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0
