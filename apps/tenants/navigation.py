"""Sidebar links of the team and the company settings (registered in apps/tenants/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, on_pages

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="team",
        label=_("Team"),
        url_name="tenants:team",
        icon=(
            '<path d="M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm7 0a3 3 0 1 0 0-6M2 21v-1a6 6 0 0 1'
            f' 6-6h2a6 6 0 0 1 6 6v1M18 14a5 5 0 0 1 4 5v2" {_STROKE} stroke-linecap="round"/>'
        ),
        order=80,
        active_when=on_pages("team"),
    ),
    NavItem(
        key="settings",
        label=_("Company settings"),
        url_name="tenants:settings",
        icon=(
            f'<path d="M4 6h10M18 6h2M4 12h4M12 12h8M4 18h12M20 18h0" {_STROKE}'
            ' stroke-linecap="round"/>'
            f'<circle cx="16" cy="6" r="2" {_STROKE}/>'
            f'<circle cx="10" cy="12" r="2" {_STROKE}/>'
            f'<circle cx="18" cy="18" r="2" {_STROKE}/>'
        ),
        order=90,
        active_when=on_pages("settings"),
    ),
)
