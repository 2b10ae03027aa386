"""Sidebar link of channels (registered in apps/channels/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app
from apps.tenants.roles import Role

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="channels",
        label=_("Channels"),
        url_name="channels:index",
        icon=(
            f'<path d="M4 6h16v10H9l-5 4z" {_STROKE} stroke-linejoin="round"/>'
            f'<path d="M8 10h8M8 13h5" {_STROKE} stroke-linecap="round"/>'
        ),
        order=35,
        active_when=in_app("channels"),
        roles=frozenset({Role.ADMIN}),
    ),
)
