"""Sidebar link of the follow-up rules (registered in apps/messaging/rules/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app
from apps.tenants.roles import Role

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="messaging_rules",
        label=_("Follow-up rules"),
        url_name="messaging_rules:index",
        icon=(
            f'<path d="M5 5h14v4H5zM5 15h14v4H5z" {_STROKE} stroke-linejoin="round"/>'
            f'<path d="M12 9v6" {_STROKE} stroke-linecap="round"/>'
        ),
        order=38,
        active_when=in_app("messaging_rules"),
        roles=frozenset({Role.ADMIN, Role.OPERATOR}),
    ),
)
