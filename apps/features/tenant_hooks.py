"""What features plugs into the tenants app at start-up (called from apps/features/wiring.py):
API keys work only for a tenant whose plan includes the API access tool."""

from apps.features.guards import ensure_feature
from apps.tenants.api_key_auth import register_api_key_check

API_ACCESS = "api_access"  # the tool (apps/features/registry.py) that API keys need


def api_access_check(tenant) -> None:
    """Refuse an API-key request with 403 `feature_locked` unless the plan has API access."""
    ensure_feature(tenant, API_ACCESS)


def register() -> None:
    register_api_key_check(api_access_check)
