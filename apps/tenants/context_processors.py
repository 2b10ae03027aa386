from apps.tenants.selectors import memberships_for_switcher


def tenant_context(request) -> dict:
    """The current tenant, the user's role in it and the tenant switcher's list."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": membership,
        "current_role": membership.role if membership else None,
        # Read by the middleware on tenant pages; elsewhere when a template asks.
        "user_memberships": getattr(request, "user_memberships", None)
        or (lambda: memberships_for_switcher(user)),
    }
