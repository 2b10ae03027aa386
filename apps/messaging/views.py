"""Dashboard pages of conversations: the inbox "Входящие" (open conversations across leads,
polled with HTMX), the sidebar's unread badge, and the conversation on the lead page (thread,
reply box, resend). Reads through apps.messaging.inbox; sends through the outbox.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError
from apps.leads import selectors as lead_selectors
from apps.messaging import conversation_card as lead_conversation
from apps.messaging import inbox, services
from apps.messaging.forms import InboxFilterForm, RoutingForm
from apps.messaging.models import ConversationStatus
from apps.tenants import services as tenant_services
from apps.tenants.dashboard import dashboard_view, is_admin
from apps.tenants.roles import Role, role_at_least
from apps.tenants.selectors import team_list

LIST_PARTIAL = "messaging/_inbox_list.html"
THREAD_PARTIAL = "messaging/_thread.html"
CONVERSATION_PARTIAL = "messaging/_lead_conversation.html"


def _filters(form: InboxFilterForm) -> inbox.InboxFilters:
    data = form.cleaned_data if form.is_valid() else {}
    return inbox.InboxFilters(
        channel_kind=data.get("channel") or "",
        assignee=data.get("assignee") or "",
        status=data.get("status") or ConversationStatus.OPEN,
    )


def _inbox_context(request, params, **extra) -> dict:
    members = list(team_list(request.tenant))
    form = InboxFilterForm(params, members=members)
    filters = _filters(form)
    page = inbox.conversation_page(
        request.tenant, filters, user=request.user, page=params.get("page")
    )
    pairs = [(k, v) for k, v in params.items() if k in form.fields and v]
    return {
        "filter_form": form,
        "page": page,
        "conversations": page.object_list,
        "query": urlencode(pairs),
        "page_query": urlencode([*pairs, ("page", page.number)]),
        "filtered": bool(pairs),
        "routing_form": RoutingForm(initial={"lead_routing": request.tenant.lead_routing}),
        "can_configure": is_admin(request),
        **extra,
    }


@dashboard_view(Role.OPERATOR)
def inbox_index(request, tenant_slug):
    context = _inbox_context(request, request.GET)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, LIST_PARTIAL, context)
    return render(request, "messaging/inbox.html", context)


@dashboard_view(Role.OPERATOR)
def inbox_badge(request, tenant_slug):
    count = inbox.badge_count(request.tenant, request.user)
    return render(request, "messaging/_badge.html", {"unread": count})


def _back_to_inbox(request):
    query = request.POST.get("query", "")
    if request.htmx:
        return render(request, LIST_PARTIAL, _inbox_context(request, QueryDict(query)))
    url = reverse("messaging:inbox", kwargs={"tenant_slug": request.tenant.slug})
    return redirect(f"{url}?{query}" if query else url)


@require_POST
@dashboard_view(Role.OPERATOR)
def conversation_take(request, tenant_slug, conversation_id):
    conversation = inbox.conversation_get(request.tenant, conversation_id)
    services.conversation_assign(
        tenant=request.tenant,
        actor=request.user,
        conversation=conversation,
        user_id=request.user.pk,
    )
    return _back_to_inbox(request)


@require_POST
@dashboard_view(Role.OPERATOR)
def conversation_close(request, tenant_slug, conversation_id):
    conversation = inbox.conversation_get(request.tenant, conversation_id)
    reopen = request.POST.get("reopen") == "1"
    status = ConversationStatus.OPEN if reopen else ConversationStatus.CLOSED
    services.conversation_set_status(conversation, status)
    return _back_to_inbox(request)


@require_POST
@dashboard_view(Role.ADMIN)
def inbox_routing(request, tenant_slug):
    form = RoutingForm(request.POST)
    notice = error = ""
    if form.is_valid():
        try:
            tenant_services.tenant_update(
                tenant=request.tenant, actor=request.user, **form.cleaned_data
            )
            notice = _("Saved: %(choice)s.") % {"choice": request.tenant.get_lead_routing_display()}
        except ApplicationError as exc:
            error = exc.message
    else:
        error = _("Choose how new leads are routed.")
    context = {
        "routing_form": form
        if error
        else RoutingForm(initial={"lead_routing": request.tenant.lead_routing}),
        "routing_notice": notice,
        "routing_error": error,
        "can_configure": True,
    }
    if request.htmx:
        return render(request, "messaging/_routing.html", context, status=400 if error else 200)
    return redirect("messaging:inbox", tenant_slug=request.tenant.slug)


# --- the conversation on the lead page -----------------------------------------------------------


def _can_work(request) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_at_least(membership.role, Role.OPERATOR)


def _lead(request, lead_id):
    return lead_selectors.lead_get(request.tenant, lead_id)


@dashboard_view()
def lead_thread(request, tenant_slug, lead_id):
    """The polled part: messages and their statuses (the reply box is left alone)."""
    lead = _lead(request, lead_id)
    context = lead_conversation.thread_context(request.tenant, lead)
    return render(request, THREAD_PARTIAL, {**context, "can_work": _can_work(request)})


@dashboard_view(Role.OPERATOR)
def lead_reply_box(request, tenant_slug, lead_id):
    """The reply box again for another channel picked in it (says what that channel needs)."""
    lead = _lead(request, lead_id)
    context = lead_conversation.conversation_context(
        request.tenant, lead, channel_id=request.GET.get("channel"), typed=request.GET
    )
    return render(request, "messaging/_reply_box.html", context)


@require_POST
@dashboard_view(Role.OPERATOR)
def lead_reply(request, tenant_slug, lead_id):
    lead = _lead(request, lead_id)
    context, status = lead_conversation.reply(request.tenant, lead, request.user, request.POST)
    if not request.htmx:
        return redirect("leads:detail", tenant_slug=request.tenant.slug, lead_id=lead.pk)
    return render(request, CONVERSATION_PARTIAL, {**context, "can_work": True}, status=status)


@require_POST
@dashboard_view(Role.OPERATOR)
def message_resend(request, tenant_slug, lead_id, message_id):
    lead = _lead(request, lead_id)
    message = inbox.message_get(request.tenant, lead, message_id)
    context, status = lead_conversation.resend(request.tenant, lead, request.user, message)
    if not request.htmx:
        return redirect("leads:detail", tenant_slug=request.tenant.slug, lead_id=lead.pk)
    return render(request, CONVERSATION_PARTIAL, {**context, "can_work": True}, status=status)
