"""The sidebar link of the pay-per-lead reports (registered in apps/payperlead/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="payperlead",
        label=_("Lead billing reports"),
        url_name="payperlead:reports",
        icon=f'<path d="M6 3h9l3 3v15H6zM9 10h6M9 14h6M9 18h3" {_STROKE} stroke-linecap="round"/>',
        order=70,
        active_when=in_app("payperlead"),
    ),
)
