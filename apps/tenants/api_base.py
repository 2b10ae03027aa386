"""The one base for tenant-scoped API views under /api/v1/tenants/{tenant_id}/."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.views import APIView

from apps.core.api import validated
from apps.core.errors import PermissionDenied
from apps.tenants.access import require_role
from apps.tenants.api_key_auth import api_key_membership
from apps.tenants.middleware import enter_tenant
from apps.tenants.models import TenantAPIKey
from apps.tenants.roles import Role
from apps.tenants.selectors import membership_resolve

# The path parameter of every view below, and the roles of a view only admins may read.
TENANT_ID = OpenApiParameter("tenant_id", OpenApiTypes.STR, OpenApiParameter.PATH)
ADMIN_ONLY = {"GET": Role.ADMIN, "HEAD": Role.ADMIN, "OPTIONS": Role.ADMIN}


class TenantAPIView(APIView):
    """Resolves the caller's membership after authentication and scopes the request.

    `roles` maps HTTP methods to the minimum role; a foreign or unknown tenant answers 404.
    A tenant API key acts with its own role, on its own tenant only, and never with the
    methods in `people_only` (what only a person may do: leave a company, manage the team).
    """

    roles: dict[str, str] = {"GET": Role.ANALYST, "HEAD": Role.ANALYST, "OPTIONS": Role.ANALYST}
    default_role: str = Role.ADMIN
    people_only: frozenset[str] = frozenset()
    # Replaces the registered API-key checks for this view (e.g. the events endpoint takes
    # keys of any tenant with the follow-up rules tool, not only the API access tool).
    api_key_check = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if isinstance(request.auth, TenantAPIKey):
            check = type(self).api_key_check
            membership = api_key_membership(request.auth, kwargs["tenant_id"], check)
            if request.method in self.people_only:
                raise PermissionDenied(_("Only a person can do this, not an API key."))
        else:
            membership = membership_resolve(request.user, kwargs["tenant_id"])
        enter_tenant(request, membership)
        request._request.tenant = membership.tenant
        require_role(membership, self.roles.get(request.method, self.default_role))

    @property
    def tenant(self):
        return self.request.tenant

    @property
    def membership(self):
        return self.request.membership

    def service_call(self, service, body=None, **extra):
        """A write service called as the caller, on this tenant: `tenant` and `actor`, then the
        request body as the serializer `body` validates it (400 naming each field), then
        `extra`. What the service answers is answered."""
        data = validated(body, self.request) if body is not None else {}
        return service(tenant=self.tenant, actor=self.request.user, **data, **extra)
