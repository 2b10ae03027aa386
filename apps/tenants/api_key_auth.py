"""DRF authentication with tenant API keys: `Authorization: Api-Key <key>` or `X-Api-Key: <key>`.

A key authenticates only tenant routes (/api/v1/tenants/{t}/…) and only for its own tenant:
`TenantAPIView` turns it into a membership with the key's role, and any other tenant's id
answers 404. A wrong, malformed or revoked key answers 401. Apps above tenants add their own
conditions with `register_api_key_check` (features: the plan must include the API access tool).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from apps.tenants.keys import api_key_authenticate
from apps.tenants.models import Membership, Tenant, TenantAPIKey

KEYWORD = "api-key"
# A key belongs to one tenant: it works on that tenant's routes only, never on the list of
# tenants (which belongs to a person) nor on /me.
TENANT_ROUTES = re.compile(r"^/api/v1/tenants/[^/]+/")

APIKeyCheck = Callable[[Tenant], None]
_checks: list[APIKeyCheck] = []


def register_api_key_check(check: APIKeyCheck) -> None:
    """Run `check(tenant)` on every API-key request to the key's own tenant; it refuses by
    raising (an `ApplicationError` renders as the API's error). Call it from an app's wiring.py;
    registering the same check twice is a no-op."""
    if check not in _checks:
        _checks.append(check)


class APIKeyUser:
    """`request.user` for a request authenticated by an API key (not a person).

    `pk` is a string so per-user throttling keys each API key separately; services take
    `actor=None` for such requests (see `actor_of`).
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    is_api_key = True

    def __init__(self, key: TenantAPIKey):
        self.api_key = key
        self.pk = self.id = f"apikey:{key.pk}"

    def __str__(self) -> str:
        return f"API key {self.api_key.pk}"

    def has_perm(self, *args, **kwargs) -> bool:
        return False


def actor_of(user):
    """The person behind a request, or None for API-key requests (timeline `actor` is a user)."""
    if user is None or getattr(user, "is_api_key", False) or not user.is_authenticated:
        return None
    return user


def _presented_key(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        keyword, _sep, value = header.partition(" ")
        if keyword.lower() == KEYWORD:
            return value.strip()
        return None
    return request.META.get("HTTP_X_API_KEY") or None


class APIKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        raw = _presented_key(request)
        if raw is None:
            return None
        if not TENANT_ROUTES.match(request.path):
            raise exceptions.AuthenticationFailed(_("API keys work only on tenant routes."))
        key = api_key_authenticate(raw)
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        return APIKeyUser(key), key

    def authenticate_header(self, request) -> str:
        return "Api-Key"


def api_key_membership(
    key: TenantAPIKey, tenant_ref, check: APIKeyCheck | None = None
) -> Membership:
    """A stand-in membership for the key's own tenant (unsaved); another tenant → 404; then
    the registered checks (a plan without the API access tool → 403 `feature_locked`), or the
    view's own `check` instead of them (an endpoint sold with another tool)."""
    tenant = key.tenant
    ref = str(tenant_ref)
    try:
        same = uuid.UUID(ref) == tenant.pk
    except ValueError:
        same = ref == tenant.slug
    if not same:
        raise Http404
    for run in [check] if check is not None else _checks:
        run(tenant)
    return Membership(tenant=tenant, role=key.role)


class APIKeyScheme(OpenApiAuthenticationExtension):
    """Documents the API-key scheme in the OpenAPI schema (drf-spectacular)."""

    target_class = "apps.tenants.api_key_auth.APIKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "A tenant API key (`fl_…`), also accepted as "
            "`Authorization: Api-Key <key>`. Tenant routes only.",
        }
