"""Shared plumbing of the dashboard pages: the tenant page decorator, the last used tenant,
the company's time zone, HTMX-aware responses and turning service errors into form errors."""

from functools import wraps
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import messages
from django.forms import Form
from django.shortcuts import redirect, render
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from apps.core.errors import ApplicationError
from apps.tenants.access import tenant_view
from apps.tenants.roles import Role, role_at_least

LAST_TENANT_SESSION_KEY = "fastlead_last_tenant"


def dashboard_view(role: str = Role.ANALYST):
    """A page under /t/<tenant_slug>/ for members with at least `role`; remembers the tenant
    so that the home page can bring the user back to it. Times on the page are shown in the
    company's time zone (its calendar, working hours and meetings are in that zone)."""

    def decorator(view):
        @tenant_view(role)
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.session.get(LAST_TENANT_SESSION_KEY) != request.tenant.slug:
                request.session[LAST_TENANT_SESSION_KEY] = request.tenant.slug
            with timezone.override(tenant_zone(request.tenant)):
                return view(request, *args, **kwargs)

        return wrapped

    return decorator


def tenant_zone(tenant):
    """The company's time zone (the server's if the stored name is unknown to this system)."""
    try:
        return ZoneInfo(tenant.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def is_admin(request) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_at_least(membership.role, Role.ADMIN)


def form_add_error(form: Form, error: ApplicationError) -> None:
    """Show a service error on the form: on its fields when it names them, else on top."""
    placed = False
    for field, field_messages in (error.fields or {}).items():
        if field in form.fields:
            for message in field_messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def first_form_error(form: Form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return ""


def partial_or_redirect(
    request, template: str, context: dict, *, url: str, status: int = 200, form=None
):
    """HTMX gets the re-rendered partial; a plain form post gets a message and a redirect."""
    if request.htmx:
        return render(request, template, context, status=status)
    if context.get("error"):
        messages.error(request, context["error"])
    elif form is not None and form.errors:
        messages.error(request, first_form_error(form))
    elif context.get("notice"):
        messages.success(request, context["notice"])
    return redirect(url)


def client_redirect(request, url: str):
    """Leave the page: HTMX follows HX-Redirect, a plain post a normal redirect."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)
