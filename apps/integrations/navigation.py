"""Sidebar link of the webhooks (registered in IntegrationsConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem, in_app
from apps.tenants.roles import Role

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'

NAV = (
    NavItem(
        key="webhooks",
        label=_("Webhooks"),
        url_name="integrations:index",
        icon=(
            f'<circle cx="6" cy="17" r="2.5" {_STROKE}/><circle cx="18" cy="17" r="2.5" {_STROKE}/>'
            f'<circle cx="12" cy="6" r="2.5" {_STROKE}/>'
            f'<path d="M10.8 8.2 7.3 14.8M8.5 17h7M13.2 8.2l3.5 6.6" {_STROKE} '
            'stroke-linecap="round"/>'
        ),
        order=39,
        active_when=in_app("integrations"),
        roles=frozenset({Role.ADMIN}),
    ),
)
