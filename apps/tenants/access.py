"""Role checks for dashboard views. Tenant membership itself is resolved by the middleware."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils.translation import gettext as _

from apps.core.errors import PermissionDenied
from apps.tenants.roles import Role, role_at_least


def require_role(membership, role: str) -> None:
    if membership is None:
        raise Http404
    if not role_at_least(membership.role, role):
        raise PermissionDenied(_("Your role does not allow this."))


def tenant_view(role: str = Role.ANALYST):
    """A dashboard view under /t/<tenant_slug>/ for members with at least `role`."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require_role(request.membership, role)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
