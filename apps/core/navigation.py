"""The dashboard sidebar as a registry: each app adds its links from its wiring.py
(apps/core/wiring.py).

    register_nav(NavItem(key="leads", label=_("Leads"), url_name="leads:index", icon=ICON,
                         order=20, active_when=in_app("leads", except_pages=("widget",))))

The layout renders the registered items of the current tenant with `{% sidebar_nav %}`
(apps/core/templatetags/navigation.py), in `order`; core knows no app, only what they added.
Every URL takes the tenant's slug as its one argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import ResolverMatch, reverse
from django.utils.safestring import SafeString, mark_safe

ActiveWhen = Callable[[ResolverMatch | None], bool]


def on_pages(*url_names: str) -> ActiveWhen:
    """Active on the pages of these URL names: "namespace:name" for one app's page, a bare
    name for that name in any app (two apps may both have an "overview": name the app)."""
    names = frozenset(url_names)

    def active(match: ResolverMatch | None) -> bool:
        if match is None:
            return False
        return match.url_name in names or f"{match.app_name}:{match.url_name}" in names

    return active


def in_app(app_name: str, *, except_pages: Iterable[str] = ()) -> ActiveWhen:
    """Active on every page of the URL namespace `app_name` but `except_pages`."""
    excluded = frozenset(except_pages)
    return lambda match: (
        match is not None and match.app_name == app_name and match.url_name not in excluded
    )


@dataclass(frozen=True, kw_only=True)
class NavItem:
    """One sidebar link. `icon` is the inner markup of a 24×24 line icon (paths, circles:
    trusted, written in code); `roles`, when set, limits the link to members of those roles."""

    key: str
    label: str
    url_name: str
    icon: str
    order: int
    active_when: ActiveWhen
    roles: frozenset[str] | None = None
    # A URL name (tenant slug argument) answering a small badge fragment (e.g. unread
    # messages); the sidebar loads and refreshes it with HTMX, so no page pays for it.
    badge_url_name: str = ""

    def visible_to(self, role: str | None) -> bool:
        return self.roles is None or role in self.roles


@dataclass(frozen=True)
class NavEntry:
    """A NavItem resolved for one request, as the template shows it."""

    key: str
    label: str
    url: str
    icon: SafeString
    active: bool
    badge_url: str = ""


_items: dict[str, NavItem] = {}


def register_nav(*items: NavItem) -> None:
    """Add sidebar links (from an app's wiring.py); a key registered again is replaced."""
    for item in items:
        _items[item.key] = item


def unregister_nav(key: str) -> None:
    _items.pop(key, None)


def nav_items() -> list[NavItem]:
    """Every registered link, in sidebar order."""
    return sorted(_items.values(), key=lambda item: (item.order, item.key))


def nav_entries(*, tenant_slug: str, role: str | None, match: ResolverMatch | None):
    """The links a member of `role` sees in the tenant's sidebar, with the current page's
    link marked active."""
    return [
        NavEntry(
            key=item.key,
            label=item.label,
            url=reverse(item.url_name, args=[tenant_slug]),
            icon=mark_safe(item.icon),  # noqa: S308 - constant markup from the apps' code
            active=item.active_when(match),
            badge_url=reverse(item.badge_url_name, args=[tenant_slug])
            if item.badge_url_name
            else "",
        )
        for item in nav_items()
        if item.visible_to(role)
    ]
