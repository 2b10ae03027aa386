"""Dashboard page "Channels": list, connect per provider, edit, test (HTMX), enable/disable,
delete."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.channels import selectors, services
from apps.channels.forms import ChannelConnectForm, ChannelEditForm
from apps.channels.models import Provider
from apps.channels.providers import ADAPTERS
from apps.core.errors import ApplicationError
from apps.features.guards import feature_required
from apps.tenants.dashboard import dashboard_view, partial_or_redirect
from apps.tenants.roles import Role

PARTIAL = "channels/_channels.html"
ROW = "channels/_channel_row.html"
TOOL = "channels"


def _with_edit_form(channel, form: ChannelEditForm | None = None):
    """The row shows its edit form open (with errors) when `form` is given."""
    channel.edit_form = form or ChannelEditForm(channel)
    channel.edit_open = form is not None
    return channel


def _context(request, forms: dict | None = None, edit: ChannelEditForm | None = None, **extra):
    forms = forms or {}
    channels = [
        _with_edit_form(c, edit if edit is not None and edit.channel_pk == c.pk else None)
        for c in selectors.channel_list(request.tenant)
    ]
    providers = [
        {
            "key": key,
            "label": Provider(key).label,
            "help_text": adapter.help_text,
            "form": forms.get(key) or ChannelConnectForm(key),
            "open": key in forms,
        }
        for key, adapter in ADAPTERS.items()
    ]
    return {
        "channels": channels,
        "providers": providers,
        **extra,
    }


def _response(request, *, forms=None, edit=None, status: int = 200, **extra):
    url = reverse("channels:index", kwargs={"tenant_slug": request.tenant.slug})
    form = next(iter(forms.values())) if forms else edit
    context = _context(request, forms, edit, **extra)
    return partial_or_redirect(request, PARTIAL, context, url=url, status=status, form=form)


@dashboard_view(Role.ADMIN)
def channel_index(request, tenant_slug):
    return render(request, "channels/index.html", _context(request))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(TOOL)
def channel_create(request, tenant_slug):
    provider = request.POST.get("provider", "")
    if provider not in ADAPTERS:
        return _response(request, status=400, error=_("Unknown provider."))
    form = ChannelConnectForm(provider, request.POST)
    if not form.is_valid():
        return _response(request, forms={provider: form}, status=400)
    name, creds, public = form.split()
    try:
        channel = services.channel_create(
            tenant=request.tenant, provider=provider, name=name, credentials=creds, settings=public
        )
    except ApplicationError as error:
        if not form.place_service_errors(error.fields):
            form.add_error(None, error.message)
        return _response(request, forms={provider: form}, status=error.status_code)
    services.channel_test(channel)
    return _response(request, notice=_("Channel “%(name)s” connected.") % {"name": channel.name})


@require_POST
@dashboard_view(Role.ADMIN)
def channel_edit(request, tenant_slug, channel_id):
    """Rename, change settings or replace keys; the channel is tested again at once."""
    channel = selectors.channel_get(request.tenant, channel_id)
    form = ChannelEditForm(channel, request.POST)
    if not form.is_valid():
        return _response(request, edit=form, status=400)
    name, creds, public = form.split()
    try:
        channel = services.channel_update(channel, name=name, credentials=creds, settings=public)
    except ApplicationError as error:
        if not form.place_service_errors(error.fields):
            form.add_error(None, error.message)
        return _response(request, edit=form, status=error.status_code)
    services.channel_test(channel)
    return _response(request, notice=_("Channel “%(name)s” saved.") % {"name": channel.name})


@require_POST
@dashboard_view(Role.ADMIN)
def channel_test(request, tenant_slug, channel_id):
    channel = services.channel_test(selectors.channel_get(request.tenant, channel_id))
    if request.htmx:
        return render(request, ROW, {"channel": _with_edit_form(channel)})
    return _response(request)


@require_POST
@dashboard_view(Role.ADMIN)
def channel_toggle(request, tenant_slug, channel_id):
    channel = selectors.channel_get(request.tenant, channel_id)
    channel = services.channel_update(channel, enabled=not channel.enabled)
    if request.htmx:
        return render(request, ROW, {"channel": _with_edit_form(channel)})
    return _response(request)


@require_POST
@dashboard_view(Role.ADMIN)
def channel_delete(request, tenant_slug, channel_id):
    channel = selectors.channel_get(request.tenant, channel_id)
    services.channel_delete(channel)
    return _response(request, notice=_("Channel “%(name)s” deleted.") % {"name": channel.name})
