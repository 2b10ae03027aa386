"""Sidebar link of upsell radar (registered in apps/upsell/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app
from apps.tenants.roles import Role

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="upsell",
        label=_("Upsell radar"),
        url_name="upsell:index",
        icon=(
            f'<path d="M4 18l5-6 4 3 7-9" {_STROKE} stroke-linecap="round" '
            'stroke-linejoin="round"/>'
            f'<path d="M15 6h5v5" {_STROKE} stroke-linecap="round" stroke-linejoin="round"/>'
        ),
        order=38,
        active_when=in_app("upsell"),
        roles=frozenset({Role.ADMIN, Role.OPERATOR}),
    ),
)
