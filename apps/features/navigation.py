"""The modules page's sidebar link (registered in apps/features/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, on_pages

NAV = (
    NavItem(
        key="modules",
        label=_("Modules"),
        url_name="features:modules",
        icon=(
            '<path d="M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 16.5h7M16.5 13v7"'
            ' stroke="currentColor" stroke-width="1.8" fill="none" stroke-linecap="round"/>'
        ),
        order=50,
        active_when=on_pages("modules"),
    ),
)
