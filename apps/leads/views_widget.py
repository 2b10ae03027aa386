"""Dashboard: the widget configurator (administrators edit, others read), its live preview
(drafts rendered without saving), the conflict screen of two editors, and the preview page."""

from __future__ import annotations

from csp.decorators import csp_replace, csp_update
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from apps.core.errors import ApplicationError, Conflict
from apps.leads.forms_widget import WidgetConfigForm, display_value
from apps.leads.models import WidgetAsset
from apps.leads.views_keys import widget_context
from apps.leads.views_widget_site import WIDGET_PAGE_CSP
from apps.leads.widget_assets import asset_url
from apps.leads.widget_channels import channel_choices
from apps.leads.widget_config import (
    LANGUAGES,
    WIDGET_SCRIPT,
    public_config_from,
    widget_config_get,
    widget_config_resolved,
    widget_config_save,
)
from apps.leads.widget_origins import origin_attempts_pending
from apps.leads.widget_uploads import asset_bytes_used, widget_image_remove, widget_image_upload
from apps.tenants import keys
from apps.tenants.dashboard import dashboard_view, is_admin
from apps.tenants.roles import Role


def config_form(request, data=None, config=None) -> WidgetConfigForm:
    config = config or widget_config_get(request.tenant)
    return WidgetConfigForm(
        data,
        instance=config,
        read_only=not is_admin(request),
        channel_choices=channel_choices(request.tenant.pk),
    )


def _images(request, config) -> dict:
    used = asset_bytes_used(request.tenant)
    quota = settings.WIDGET_UPLOAD_QUOTA_BYTES
    return {
        "images": [
            (kind, label, asset_url(getattr(config, kind)))
            for kind, label in WidgetAsset.Kind.choices
        ],
        "images_used_mb": f"{used / 1048576:.1f}",
        "images_quota_mb": quota // 1048576,
    }


def _page(request, form=None, status: int = 200, **extra):
    config = widget_config_get(request.tenant)
    form = form or config_form(request, config=config)
    context = widget_context(
        request, config=config, config_form=form, **_images(request, config), **extra
    )
    if is_admin(request):
        context["origin_attempts"] = origin_attempts_pending(request.tenant)
    return render(request, "leads/widget.html", context, status=status)


@csp_update(WIDGET_PAGE_CSP)
@dashboard_view()
def widget(request, tenant_slug):
    return _page(request)


@require_POST
@dashboard_view(Role.ADMIN)
def widget_settings(request, tenant_slug):
    form = config_form(request, request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    data = {name: form.cleaned_data[name] for name in form.Meta.fields}
    try:
        config = widget_config_save(
            request.tenant,
            actor=request.user,
            data=data,
            expected_version=form.cleaned_data.get("base_version"),
            request=request,
        )
    except Conflict as conflict:
        return _conflict(request, form, conflict)
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _page(request, form=form, status=400)
    messages.success(
        request, _("Widget settings saved (version %(version)s).") % {"version": config.version}
    )
    return redirect("leads:widget", tenant_slug=request.tenant.slug)


def _conflict(request, form, conflict: Conflict):
    """Both versions side by side: "keep mine" posts this form again over the current
    version; "take theirs" reloads the saved settings."""
    theirs = {k: display_value(v) for k, v in conflict.extra["current"].items()}
    mine = form.snapshot()
    rows = [
        (form.fields[name].label, mine.get(name), theirs.get(name))
        for name in form.Meta.fields
        if mine.get(name) != theirs.get(name)
    ]
    keep = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "base_version")
        for value in values
    ]
    context = {
        "conflict_rows": rows,
        "keep_items": keep,
        "their_version": conflict.extra["version"],
        "conflict_message": conflict.message,
    }
    return _page(request, status=409, **context)


@require_POST
@dashboard_view(Role.ADMIN)
def widget_image(request, tenant_slug, kind):
    """Upload (or, with `remove`, take away) the logo or the operator's avatar."""
    if kind not in WidgetAsset.Kind.values:
        raise Http404
    upload = request.FILES.get("image")
    try:
        if request.POST.get("remove"):
            widget_image_remove(request.tenant, actor=request.user, kind=kind, request=request)
        elif upload is None:
            raise ApplicationError(_("Choose an image file."), "invalid_image")
        else:
            data = upload.read(MAX_UPLOAD_READ)
            widget_image_upload(
                request.tenant, actor=request.user, kind=kind, data=data, request=request
            )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("leads:widget", tenant_slug=request.tenant.slug)
    messages.success(request, _("Widget image saved."))
    return redirect("leads:widget", tenant_slug=request.tenant.slug)


MAX_UPLOAD_READ = 5 * 1024 * 1024 + 1  # one byte over the limit is enough to refuse it


@require_POST
@dashboard_view(Role.ADMIN)
def widget_draft(request, tenant_slug):
    """The public form of the unsaved settings in the editor, for the live preview (nothing
    is saved): 200 {"config": …} or 400 {"errors": {field: [messages]}}."""
    data = request.POST
    if data.get("partial"):  # a page editing a few settings (the onboarding wizard)
        data = _completed(request, data)
    form = config_form(request, data)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    lang = request.POST.get("lang", "ru")
    settings = {"version": form.instance.version, **widget_config_resolved(form.instance)}
    config = public_config_from(settings, request.tenant.name, lang if lang in LANGUAGES else "ru")
    return JsonResponse({"config": config})


def _completed(request, data):
    """`data` plus the saved value of every setting it does not carry."""
    complete = data.copy()
    saved = config_form(request)
    for name in saved.Meta.fields:
        if name in complete:
            continue
        value = saved[name].value()
        if isinstance(value, bool):
            if value:
                complete[name] = "on"
        elif isinstance(value, list | tuple):
            complete.setlist(name, [str(item) for item in value])
        elif value is not None:
            complete[name] = display_value(value)
    return complete


# The dashboard frames this page; the widget's styles live in its shadow root.
PREVIEW_CSP = {
    "frame-ancestors": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "https:"],
}


@xframe_options_sameorigin
@csp_replace(PREVIEW_CSP)
@dashboard_view()
def widget_preview(request, tenant_slug):
    """A page holding the real widget script with the tenant's key (the dashboard's iframe);
    the editor sends it drafts to render (data-preview)."""
    lang = request.GET.get("lang", "ru")
    config = widget_config_get(request.tenant)
    context = {
        "key": keys.publishable_key_text(request.tenant),
        "script": WIDGET_SCRIPT,
        "lang": lang if lang in LANGUAGES else "ru",
        "version": config.version,
    }
    return render(request, "leads/widget_preview.html", context)
