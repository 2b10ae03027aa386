"""Sidebar link of HyroPage (registered in apps/hyropage/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app
from apps.tenants.roles import Role

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="hyropage",
        label=_("Landing pages"),
        url_name="hyropage:index",
        icon=(
            f'<rect x="4" y="3.5" width="16" height="17" rx="2" {_STROKE}/>'
            f'<path d="M8 8h8M8 12h8M8 16h5" {_STROKE} stroke-linecap="round"/>'
        ),
        order=38,  # with the follow-up rules; ties go by key: HyroPage first
        active_when=in_app("hyropage"),
        roles=frozenset({Role.ADMIN, Role.OPERATOR}),
    ),
)
