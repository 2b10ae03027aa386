"""Sidebar link of booking (registered in apps/booking/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app
from apps.tenants.roles import Role

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="booking",
        label=_("Meetings"),
        url_name="booking:index",
        icon=(
            f'<rect x="4" y="5" width="16" height="15" rx="2" {_STROKE}/>'
            f'<path d="M4 10h16M9 3v4M15 3v4" {_STROKE} stroke-linecap="round"/>'
        ),
        order=37,
        active_when=in_app("booking"),
        roles=frozenset({Role.ADMIN, Role.OPERATOR}),
    ),
)
