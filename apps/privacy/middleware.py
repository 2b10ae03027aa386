"""A closed company is read-only until it is deleted: on its dashboard pages and tenant API
routes every unsafe method is refused with a clear message (403 `company_closed`), reads work.
The privacy pages' export (start, download) stays open: that is what the 30 days are for.

Runs after the tenant middleware (`request.tenant` is resolved for pages) and billing's access
middleware; API routes are resolved from the URL's tenant reference as billing's are. Only
unsafe requests pay a query.
"""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from apps.billing.plan_limits import tenant_id_from_ref
from apps.core.api import error_body
from apps.core.errors import PermissionDenied
from apps.core.pages import application_error_response
from apps.privacy.services.closure import tenant_is_closed
from apps.tenants.selectors import membership_resolve

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_PAGES = frozenset({"privacy:export", "privacy:export_download"})
OPEN_API = ("privacy/export/",)
CODE = "company_closed"
_API_TENANTS = "/api/v1/tenants/"


def closed_message() -> str:
    return _(
        "The company is closed: its data is read-only until it is deleted. "
        "You can still download the export of everything on the “Data and privacy” page."
    )


class ClosedCompanyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS:
            return None
        if request.path.startswith(_API_TENANTS) and "tenant_id" in view_kwargs:
            return self._api(request, view_kwargs["tenant_id"])
        tenant = getattr(request, "tenant", None)
        if "tenant_slug" in view_kwargs and tenant is not None:
            match = request.resolver_match
            if match is not None and match.view_name in OPEN_PAGES:
                return None
            if tenant_is_closed(tenant.pk):
                return application_error_response(request, PermissionDenied(closed_message(), CODE))
        return None

    def _api(self, request, ref):
        rest = request.path[len(_API_TENANTS) :].split("/", 1)[-1]
        if rest.startswith(OPEN_API):
            return None
        tenant_id = tenant_id_from_ref(ref)
        if tenant_id is None or not tenant_is_closed(tenant_id):
            return None
        if not _is_member(request, ref):
            return None  # anonymous: 401, outsider: 404, both from the view itself
        return JsonResponse(error_body(CODE, closed_message()), status=403)


def _is_member(request, ref) -> bool:
    drf_request = Request(
        request, authenticators=[auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    )
    try:
        membership_resolve(drf_request.user, ref)
    except (Http404, APIException):
        return False
    return True
