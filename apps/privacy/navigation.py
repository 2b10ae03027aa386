"""Sidebar link of the privacy page (registered in apps/privacy/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app
from apps.tenants.roles import Role

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="privacy",
        label=_("Data and privacy"),
        url_name="privacy:index",
        icon=(
            f'<path d="M12 3 5 6v5c0 4.4 3 8.3 7 9.5 4-1.2 7-5.1 7-9.5V6z" {_STROKE} '
            'stroke-linejoin="round"/>'
            f'<path d="m9 12 2 2 4-4" {_STROKE} stroke-linecap="round"/>'
        ),
        order=95,
        active_when=in_app("privacy"),
        roles=frozenset({Role.ADMIN}),
    ),
)
