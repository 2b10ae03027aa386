"""The web app's sidebar link (registered in apps/web/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, on_pages

NAV = (
    NavItem(
        key="overview",
        label=_("Overview"),
        url_name="web:overview",
        icon='<path d="M4 13h6V4H4zm0 7h6v-5H4zm10 0h6v-9h-6zm0-16v5h6V4z" fill="currentColor"/>',
        order=10,
        active_when=on_pages("web:overview"),  # not billing's "overview",
    ),
)
