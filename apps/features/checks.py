"""System check: a live tool's pages and endpoints exist (its `routes` resolve); registered in
apps/features/wiring.py.

A tool shows as available only when its routes are registered; this check keeps the
registry honest when a URL is renamed or removed (`manage.py check`, and a test).
"""

from django.core.checks import Error
from django.urls import get_resolver

from apps.features.registry import tool_list


def route_exists(name: str, urlconf=None) -> bool:
    """Does the URL name ("ns:name" or "name") exist in the URLconf? Arguments are not
    needed: this asks the resolver's reverse table, not `reverse()`."""
    resolver = get_resolver(urlconf)
    *namespaces, view_name = name.split(":")
    for namespace in namespaces:
        if namespace not in resolver.namespace_dict:
            return False
        resolver = resolver.namespace_dict[namespace][1]
    return view_name in resolver.reverse_dict


def missing_routes(urlconf=None) -> list[tuple[str, str]]:
    """(tool, route) of every live tool's route that does not resolve."""
    return [
        (tool.key, route)
        for tool in tool_list()
        if tool.live
        for route in tool.routes
        if not route_exists(route, urlconf)
    ]


def live_tools_have_their_routes(app_configs=None, **kwargs):
    return [
        Error(
            f"Tool {key!r} is live but its route {route!r} does not resolve.",
            hint="Add the page or endpoint, or remove the route (the tool then shows as "
            "coming soon) in apps/features/registry.py.",
            id="features.E001",
        )
        for key, route in missing_routes()
    ]
