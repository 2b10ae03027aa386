"""Sidebar link of analytics (registered in apps/analytics/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app

NAV = (
    NavItem(
        key="analytics",
        label=_("Analytics"),
        url_name="analytics:index",
        icon=(
            '<path d="M4 20V10M10 20V4M16 20v-7M22 20H2" stroke="currentColor" '
            'stroke-width="1.8" fill="none" stroke-linecap="round"/>'
        ),
        order=15,
        active_when=in_app("analytics"),
    ),
)
