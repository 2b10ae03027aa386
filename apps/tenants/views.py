"""Dashboard pages of a company: create, team (HTMX partials), settings, invitations."""

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.invitations import PENDING_INVITATION_SESSION_KEY
from apps.core.errors import ApplicationError
from apps.tenants import limits, selectors, services
from apps.tenants.access import require_role
from apps.tenants.dashboard import (
    LAST_TENANT_SESSION_KEY,
    client_redirect,
    dashboard_view,
    first_form_error,
    form_add_error,
    is_admin,
    partial_or_redirect,
)
from apps.tenants.forms import InvitationForm, RoleForm, TenantForm, TenantSettingsForm
from apps.tenants.roles import Role

MEMBERS_PARTIAL = "tenants/_team_members.html"
INVITATIONS_PARTIAL = "tenants/_invitations.html"


# --- Create a company ---------------------------------------------------------------------


@login_required
def tenant_create(request):
    owned = limits.owned_tenants(request.user)
    limit = limits.max_tenants_for_user(request.user, owned)
    at_limit = limit is not None and len(owned) >= limit
    upgrade = limits.limits_provider().company_upgrade(owned, limit) if at_limit else {}
    status = 200
    if request.method == "POST":
        form = TenantForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                tenant = services.tenant_create(user=request.user, **form.cleaned_data)
            except ApplicationError as error:
                form_add_error(form, error)
                status = error.status_code
            else:
                request.session[LAST_TENANT_SESSION_KEY] = tenant.slug
                messages.success(request, _("Company “%(name)s” created.") % {"name": tenant.name})
                return redirect("web:overview", tenant_slug=tenant.slug)
    else:
        # The sign-up's company is created on confirmation: suggest its name only if that
        # did not happen (another company is another name).
        first = not selectors.memberships_for_user(request.user).exists()
        form = TenantForm(initial={"name": request.user.company if first else ""})
    context = {"form": form, "at_limit": at_limit, "limit": limit, "upgrade": upgrade}
    return render(request, "tenants/create.html", context, status=status)


# --- Team ---------------------------------------------------------------------------------


def _team_url(request) -> str:
    return reverse("tenants:team", kwargs={"tenant_slug": request.tenant.slug})


def _members_context(request, **extra) -> dict:
    return {
        "members": selectors.team_list(request.tenant),
        "can_manage": is_admin(request),
        "role_choices": Role.choices,
        **extra,
    }


def _invitations_context(request, form=None, **extra) -> dict:
    return {
        "invitations": selectors.invitations_pending(request.tenant),
        "invite_form": form or InvitationForm(),
        "can_manage": is_admin(request),
        **extra,
    }


def _members_response(request, *, error=None, notice="", status=200):
    context = _members_context(request, error=error.message if error else "", notice=notice)
    if error is not None:
        status = error.status_code
    return partial_or_redirect(
        request, MEMBERS_PARTIAL, context, url=_team_url(request), status=status
    )


def _invitations_response(request, *, form=None, error=None, notice="", status=200):
    context = _invitations_context(
        request, form=form, error=error.message if error else "", notice=notice
    )
    if error is not None:
        status = error.status_code
    return partial_or_redirect(
        request, INVITATIONS_PARTIAL, context, url=_team_url(request), status=status, form=form
    )


@dashboard_view()
def team(request, tenant_slug):
    context = {**_members_context(request), **_invitations_context(request)}
    return render(request, "tenants/team.html", context)


@require_POST
@dashboard_view(Role.ADMIN)
def invitation_create(request, tenant_slug):
    form = InvitationForm(request.POST)
    if not form.is_valid():
        return _invitations_response(request, form=form, status=400)
    try:
        invitation, _token = services.invitation_create(
            tenant=request.tenant, actor=request.user, **form.cleaned_data
        )
    except ApplicationError as error:
        form_add_error(form, error)
        status = error.status_code
        if request.htmx and isinstance(error, limits.PlanLimitReached):
            status = 409  # HTMX swaps 400/409/410/422 in place (base.html); the API says 403
        return _invitations_response(request, form=form, status=status)
    notice = _("Invitation sent to %(email)s.") % {"email": invitation.email}
    return _invitations_response(request, notice=notice)


@require_POST
@dashboard_view(Role.ADMIN)
def invitation_resend(request, tenant_slug, invitation_id):
    invitation = selectors.invitation_get(request.tenant, invitation_id)
    try:
        services.invitation_create(
            tenant=request.tenant, actor=request.user, email=invitation.email, role=invitation.role
        )
    except ApplicationError as error:
        return _invitations_response(request, error=error)
    notice = _("Invitation sent again to %(email)s.") % {"email": invitation.email}
    return _invitations_response(request, notice=notice)


@require_POST
@dashboard_view(Role.ADMIN)
def invitation_revoke(request, tenant_slug, invitation_id):
    invitation = selectors.invitation_get(request.tenant, invitation_id)
    email = invitation.email
    try:
        services.invitation_revoke(tenant=request.tenant, actor=request.user, invitation=invitation)
    except ApplicationError as error:
        return _invitations_response(request, error=error)
    return _invitations_response(
        request, notice=_("Invitation for %(email)s revoked.") % {"email": email}
    )


@require_POST
@dashboard_view(Role.ADMIN)
def member_role(request, tenant_slug, user_id):
    membership = selectors.member_get(request.tenant, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _members_response(request, error=ApplicationError(first_form_error(form)))
    try:
        services.membership_change_role(
            tenant=request.tenant,
            actor=request.user,
            membership=membership,
            role=form.cleaned_data["role"],
        )
    except ApplicationError as error:
        return _members_response(request, error=error)
    if membership.user_id == request.user.pk:
        request.membership.role = membership.role  # the page now shows what the new role may do
    notice = _("%(name)s is now %(role)s.") % {
        "name": membership.user.get_full_name(),
        "role": membership.get_role_display().lower(),
    }
    return _members_response(request, notice=notice)


@require_POST
@dashboard_view(Role.ADMIN)
def member_remove(request, tenant_slug, user_id):
    membership = selectors.member_get(request.tenant, user_id)
    if membership.user_id == request.user.pk:
        return _leave(request)
    try:
        services.membership_remove(tenant=request.tenant, actor=request.user, membership=membership)
    except ApplicationError as error:
        return _members_response(request, error=error)
    notice = _("%(name)s was removed from the team.") % {"name": membership.user.get_full_name()}
    return _members_response(request, notice=notice)


@require_POST
@dashboard_view()
def team_leave(request, tenant_slug):
    return _leave(request)


def _leave(request):
    tenant = request.tenant
    try:
        services.membership_remove(tenant=tenant, actor=request.user, membership=request.membership)
    except ApplicationError as error:
        return _members_response(request, error=error)
    if request.session.get(LAST_TENANT_SESSION_KEY) == tenant.slug:
        del request.session[LAST_TENANT_SESSION_KEY]
    messages.success(request, _("You left “%(name)s”.") % {"name": tenant.name})
    return client_redirect(request, reverse("web:home"))


# --- Company settings ---------------------------------------------------------------------


@dashboard_view()
def tenant_settings(request, tenant_slug):
    tenant = request.tenant
    can_edit = is_admin(request)
    status = 200
    if request.method == "POST":
        require_role(request.membership, Role.ADMIN)
        form = TenantSettingsForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.tenant_update(tenant=tenant, actor=request.user, **form.changes())
            except ApplicationError as error:
                tenant.refresh_from_db()  # the service may have changed it before failing
                form_add_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("Company settings saved."))
                return redirect("tenants:settings", tenant_slug=tenant.slug)
    else:
        form = (
            TenantSettingsForm(initial=TenantSettingsForm.initial_for(tenant)) if can_edit else None
        )
    context = {"form": form, "can_edit": can_edit}
    return render(request, "tenants/settings.html", context, status=status)


STAFF_ACCESS_PER_PAGE = 50


@dashboard_view(Role.ADMIN)
def staff_access(request, tenant_slug):
    """Admins see each time Fast Lead staff opened their company's personal data (a lead,
    a booking, a member, an export) in the staff console: who, what, when."""
    page = Paginator(selectors.staff_access_list(request.tenant), STAFF_ACCESS_PER_PAGE)
    page = page.get_page(request.GET.get("page"))
    for entry in page:
        entry.object_kind = selectors.staff_access_object(entry.target_type)
    return render(request, "tenants/staff_access.html", {"page": page})


# --- Invitations --------------------------------------------------------------------------


def invitation_accept(request, token):
    """The link from the invitation e-mail: show the invitation, accept it on POST."""
    try:
        invitation = services.invitation_check(token)
    except ApplicationError as error:
        return _invitation_problem(request, error)
    user = request.user
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return _accept(request, token, invitation)
    if not user.is_authenticated:
        # Carry the invitation through login or sign-up; the link reached this mailbox,
        # so signing up with the same address needs no second confirmation.
        request.session[PENDING_INVITATION_SESSION_KEY] = token
        get_adapter(request).stash_verified_email(request, invitation.email)
        state = "anonymous"
    elif invitation.email.lower() != user.email.lower():
        state = "wrong_email"
    elif selectors.memberships_for_user(user).filter(tenant=invitation.tenant).exists():
        state = "member"
    else:
        state = "ready"
    context = {"invitation": invitation, "state": state, "token": token}
    return render(request, "tenants/invitation.html", context)


@login_required
def invitation_resume(request):
    """After login or sign-up: accept the invitation the visitor came with."""
    token = request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
    if not token:
        return redirect("web:home")
    try:
        invitation = services.invitation_check(token)
    except ApplicationError as error:
        return _invitation_problem(request, error)
    return _accept(request, token, invitation)


def _accept(request, token, invitation):
    tenant = invitation.tenant
    try:
        services.invitation_accept(token=token, user=request.user)
    except ApplicationError as error:
        if error.code == "already_member":
            messages.info(request, error.message)
            return redirect("web:overview", tenant_slug=tenant.slug)
        return _invitation_problem(request, error)
    _forget_invitation(request)
    request.session[LAST_TENANT_SESSION_KEY] = tenant.slug
    messages.success(request, _("Welcome to “%(name)s”!") % {"name": tenant.name})
    return redirect("web:overview", tenant_slug=tenant.slug)


def _forget_invitation(request) -> None:
    request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
    if request.session.get("account_verified_email"):
        get_adapter(request).unstash_verified_email(request)


def _invitation_problem(request, error: ApplicationError):
    _forget_invitation(request)
    context = {"message": error.message, "code": error.code}
    return render(request, "tenants/invitation_invalid.html", context, status=error.status_code)
