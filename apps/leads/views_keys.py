"""Dashboard pages of keys: tenant API keys (administrators) and the widget's publishable key
with its embed snippet."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError
from apps.features.guards import feature_required
from apps.leads.forms import APIKeyForm
from apps.leads.widget_config import widget_snippet
from apps.tenants import keys
from apps.tenants.dashboard import dashboard_view, form_add_error, is_admin, partial_or_redirect
from apps.tenants.roles import Role

API_KEYS_PARTIAL = "leads/_api_keys.html"
WIDGET_KEY_PARTIAL = "leads/_widget_key.html"
API_ACCESS = "api_access"  # the tool API keys need (apps/features/registry.py)


# --- API keys ---------------------------------------------------------------------------------


def _keys_context(request, form=None, **extra) -> dict:
    return {
        "api_keys": list(keys.api_key_list(request.tenant)),
        "form": form or APIKeyForm(),
        "api_base": f"{settings.SITE_URL}/api/v1/tenants/{request.tenant.pk}/",
        "docs_url": reverse("api-docs"),
        **extra,
    }


def _keys_response(request, *, form=None, status: int = 200, **extra):
    url = reverse("leads:api_keys", kwargs={"tenant_slug": request.tenant.slug})
    context = _keys_context(request, form=form, **extra)
    return partial_or_redirect(
        request, API_KEYS_PARTIAL, context, url=url, status=status, form=form
    )


@dashboard_view(Role.ADMIN)
def api_keys(request, tenant_slug):
    return render(request, "leads/api_keys.html", _keys_context(request))


@require_POST
@dashboard_view(Role.ADMIN)
@feature_required(API_ACCESS)  # a key the API would refuse is not created (the page says why)
def api_key_create(request, tenant_slug):
    form = APIKeyForm(request.POST)
    if not form.is_valid():
        return _keys_response(request, form=form, status=400)
    try:
        key, raw = keys.api_key_create(
            tenant=request.tenant, actor=request.user, **form.cleaned_data
        )
    except ApplicationError as error:
        form_add_error(form, error)
        return _keys_response(request, form=form, status=error.status_code)
    if not request.htmx:
        # Without HTMX the key cannot be shown once in place: show it on the page itself.
        return render(
            request, "leads/api_keys.html", _keys_context(request, new_key=raw, new_key_row=key)
        )
    return _keys_response(request, new_key=raw, new_key_row=key)


@require_POST
@dashboard_view(Role.ADMIN)
def api_key_revoke(request, tenant_slug, key_id):
    key = keys.api_key_revoke(tenant=request.tenant, actor=request.user, key_id=key_id)
    notice = _("Key “%(name)s” revoked: requests with it are refused from now on.") % {
        "name": key.name
    }
    return _keys_response(request, notice=notice)


# --- widget -----------------------------------------------------------------------------------


def submit_example(key: str) -> str:
    url = f"{settings.SITE_URL}/api/public/v1/widget/{key}/leads/"
    return (
        f'fetch("{url}", {{\n'
        '  method: "POST",\n'
        '  headers: {"Content-Type": "application/json"},\n'
        "  body: JSON.stringify({\n"
        '    name: "Иван Петров", email: "ivan@example.ru", phone: "+7 916 123-45-67",\n'
        '    message: "Перезвоните мне", consents: {processing: true}\n'
        "  })\n"
        "});"
    )


def widget_context(request, **extra) -> dict:
    key = keys.publishable_key_live(request.tenant)  # None: staff revoked it, see the template
    return {
        "publishable_key": key,
        "snippet": widget_snippet(key.key) if key else "",
        "submit_example": submit_example(key.key) if key else "",
        "can_manage": is_admin(request),
        **extra,
    }


@require_POST
@dashboard_view(Role.ADMIN)
def widget_rotate(request, tenant_slug):
    keys.publishable_key_rotate(request.tenant, actor=request.user)
    notice = _(
        "A new key is issued. Replace the snippet on your site: the old key no longer works."
    )
    url = reverse("leads:widget", kwargs={"tenant_slug": request.tenant.slug})
    context = widget_context(request, notice=notice)
    return partial_or_redirect(request, WIDGET_KEY_PARTIAL, context, url=url)
