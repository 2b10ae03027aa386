"""Resolve the tenant of a dashboard URL (/t/<tenant_slug>/...) and scope the request to it."""

from apps.tenants.scoping import ALL_TENANTS, reset_scope, set_scope
from apps.tenants.selectors import membership_pick, memberships_for_switcher


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        request.user_memberships = None
        # Every request starts unscoped and ends with the scope it started with.
        token = set_scope(None)
        try:
            return self.get_response(request)
        finally:
            reset_scope(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith("/admin/") and getattr(request.user, "is_staff", False):
            set_scope(ALL_TENANTS)  # the staff console sees every tenant, on purpose
            return None
        slug = view_kwargs.get("tenant_slug")
        if slug and request.user.is_authenticated:
            # One read serves both the page's membership and the layout's tenant switcher.
            request.user_memberships = memberships_for_switcher(request.user)
            enter_tenant(request, membership_pick(request.user_memberships, slug))
        return None


def enter_tenant(request, membership) -> None:
    """Attach the membership's tenant to the request and scope the rest of it to that tenant."""
    request.membership = membership
    request.tenant = membership.tenant
    set_scope(membership.tenant)
