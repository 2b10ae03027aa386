"""Sidebar links of leads (registered in apps/leads/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app, on_pages
from apps.tenants.roles import Role

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="leads",
        label=_("Leads"),
        url_name="leads:index",
        icon=(
            f'<path d="M4 5h16M4 10h16M4 15h10M4 20h7" {_STROKE} stroke-linecap="round"/>'
            f'<circle cx="18.5" cy="18" r="2.5" {_STROKE}/>'
        ),
        order=20,
        active_when=in_app("leads", except_pages=("widget", "api_keys")),
    ),
    NavItem(
        key="widget",
        label=_("Widget"),
        url_name="leads:widget",
        icon=(
            f'<rect x="3" y="4" width="18" height="14" rx="2" {_STROKE}/>'
            f'<path d="M8 21h8M9 9l-2 2 2 2M15 9l2 2-2 2" {_STROKE} stroke-linecap="round"'
            ' stroke-linejoin="round"/>'
        ),
        order=30,
        active_when=on_pages("widget"),
    ),
    NavItem(
        key="api_keys",
        label=_("API keys"),
        url_name="leads:api_keys",
        icon=(
            f'<circle cx="8" cy="15" r="4" {_STROKE}/>'
            f'<path d="M11 12l9-9M17 6l3 3M15 8l2 2" {_STROKE} stroke-linecap="round"/>'
        ),
        order=40,
        active_when=on_pages("api_keys"),
        roles=frozenset({Role.ADMIN}),
    ),
)
