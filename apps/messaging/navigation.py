"""Sidebar link of the inbox with its unread badge (registered in apps/messaging/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app
from apps.tenants.roles import Role

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="inbox",
        label=_("Inbox"),
        url_name="messaging:inbox",
        icon=(
            f'<path d="M4 13l2.5-7h11L20 13v5H4z" {_STROKE} stroke-linejoin="round"/>'
            f'<path d="M4 13h4.5l1 2h5l1-2H20" {_STROKE} stroke-linejoin="round"/>'
        ),
        order=22,
        active_when=in_app("messaging"),
        roles=frozenset({Role.ADMIN, Role.OPERATOR}),
        badge_url_name="messaging:badge",
    ),
)
