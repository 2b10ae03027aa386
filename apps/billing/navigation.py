"""The sidebar link of billing (registered in apps/billing/wiring.py)."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="billing",
        label=_("Plan and billing"),
        url_name="billing:overview",
        icon=(
            f'<rect x="3" y="6" width="18" height="13" rx="2" {_STROKE}/>'
            f'<path d="M3 10h18M7 15h4" {_STROKE} stroke-linecap="round"/>'
        ),
        order=60,
        active_when=in_app("billing", except_pages=("reports",)),
    ),
)
