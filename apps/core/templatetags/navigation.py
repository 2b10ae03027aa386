"""`{% sidebar_nav %}`: the current tenant's sidebar links from apps/core/navigation.py."""

from django import template

from apps.core.navigation import nav_entries

register = template.Library()


@register.inclusion_tag("includes/_sidebar_nav.html", takes_context=True)
def sidebar_nav(context) -> dict:
    """Needs `current_tenant` and `current_role` (the tenants context processor) and
    `request`; renders nothing outside a tenant."""
    tenant = context.get("current_tenant")
    if tenant is None:
        return {"entries": []}
    request = context.get("request")
    return {
        "entries": nav_entries(
            tenant_slug=tenant.slug,
            role=context.get("current_role"),
            match=getattr(request, "resolver_match", None),
        )
    }
