"""Sidebar links of the webhooks and of the CRM sync (registered in apps/integrations/wiring.py):
the CRM pages light "CRM", the other pages of the app "Webhooks"."""

from django.urls import ResolverMatch
from django.utils.translation import gettext_lazy as _

from apps.core.navigation import NavItem
from apps.tenants.roles import Role

_STROKE = 'stroke="currentColor" stroke-width="1.8" fill="none"'


def _on_crm(match: ResolverMatch | None) -> bool:
    return (
        match is not None
        and match.app_name == "integrations"
        and (match.url_name or "").startswith("crm")
    )


def _on_webhooks(match: ResolverMatch | None) -> bool:
    return match is not None and match.app_name == "integrations" and not _on_crm(match)


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
        active_when=_on_webhooks,
        roles=frozenset({Role.ADMIN}),
    ),
    NavItem(
        key="crm",
        label=_("CRM"),
        url_name="integrations:crm",
        icon=(
            f'<rect x="3.5" y="7" width="17" height="12.5" rx="2" {_STROKE}/>'
            f'<path d="M9 7V5.5A1.5 1.5 0 0 1 10.5 4h3A1.5 1.5 0 0 1 15 5.5V7M3.5 12.5h17" '
            f'{_STROKE} stroke-linecap="round"/>'
        ),
        order=39,
        active_when=_on_crm,
        roles=frozenset({Role.ADMIN}),
    ),
)
