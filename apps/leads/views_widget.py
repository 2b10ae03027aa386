"""Dashboard: the widget configurator (administrators edit, others read) and its preview."""

from __future__ import annotations

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from apps.leads.forms_widget import WidgetConfigForm
from apps.leads.views_keys import WIDGET_SCRIPT, widget_context
from apps.leads.widget_config import LANGUAGES, widget_config_get, widget_config_save
from apps.tenants import keys
from apps.tenants.dashboard import dashboard_view, is_admin
from apps.tenants.roles import Role


def _page(request, form=None, status: int = 200):
    config = widget_config_get(request.tenant)
    form = form or WidgetConfigForm(instance=config, read_only=not is_admin(request))
    context = widget_context(request, config=config, config_form=form)
    return render(request, "leads/widget.html", context, status=status)


@dashboard_view()
def widget(request, tenant_slug):
    return _page(request)


@require_POST
@dashboard_view(Role.ADMIN)
def widget_settings(request, tenant_slug):
    config = widget_config_get(request.tenant)
    form = WidgetConfigForm(request.POST, instance=config)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    data = {name: form.cleaned_data[name] for name in form.Meta.fields}
    try:
        config = widget_config_save(request.tenant, actor=request.user, data=data, request=request)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _page(request, form=form, status=400)
    messages.success(
        request, _("Widget settings saved (version %(version)s).") % {"version": config.version}
    )
    return redirect("leads:widget", tenant_slug=request.tenant.slug)


# The dashboard frames this page; the widget injects its own <style> as on a customer's site.
PREVIEW_CSP = {"frame-ancestors": ["'self'"], "style-src": ["'self'", "'unsafe-inline'"]}


@xframe_options_sameorigin
@csp_replace(PREVIEW_CSP)
@dashboard_view()
def widget_preview(request, tenant_slug):
    """A page holding the real widget script with the tenant's key (the dashboard's iframe)."""
    lang = request.GET.get("lang", "ru")
    config = widget_config_get(request.tenant)
    context = {
        "key": keys.publishable_key_get_or_create(request.tenant).key,
        "script": WIDGET_SCRIPT,
        "lang": lang if lang in LANGUAGES else "ru",
        "version": config.version,
    }
    return render(request, "leads/widget_preview.html", context)
