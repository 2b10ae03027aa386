"""Read-only and blocked companies, enforced for every dashboard page and tenant API route.

Read-only (the trial ended unpaid, 7 days of grace): pages and API reads work; writes are
refused (dashboard: a clear message; API: 402 `payment_required`). Blocked: the dashboard
shows only billing (other pages redirect there) and the API answers 402 to everything but
billing. Billing itself always works, so that the company can pay. The public widget API is
not touched here: it keeps collecting leads while read-only (see `quotas.tenant_accepts_leads`).

The state comes from billing's cached plan-limits snapshot: no query on the normal path.
"""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from apps.billing.errors import PaymentRequired
from apps.billing.plan_limits import access_get, remember_for_request, tenant_id_from_ref
from apps.billing.services import access_message
from apps.core.api import error_body
from apps.core.pages import application_error_response
from apps.tenants.selectors import membership_resolve

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Paying must always work; so must a company's rights over its data whatever its plan
# (apps/privacy: the export of everything, a person's export and erasure, closing).
EXEMPT_NAMESPACES = frozenset({"billing", "privacy"})
EXEMPT_API_PREFIXES = ("billing/", "privacy/")  # /api/v1/tenants/{t}/billing/...
_API_TENANTS = "/api/v1/tenants/"


class AccessStateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(_API_TENANTS) and "tenant_id" in view_kwargs:
            return self._api(request, view_kwargs["tenant_id"])
        if "tenant_slug" in view_kwargs and getattr(request, "tenant", None) is not None:
            return self._page(request)
        return None

    def _page(self, request):
        match = request.resolver_match
        if match is not None and EXEMPT_NAMESPACES & set(match.namespaces):
            return None
        access = access_get(request.tenant)
        remember_for_request(request, access)
        if access.is_active:
            return None
        if access.is_read_only and request.method in SAFE_METHODS:
            return None
        if access.is_blocked and request.method in SAFE_METHODS:
            return redirect("billing:overview", tenant_slug=request.tenant.slug)
        error = PaymentRequired(access_message(access.access_state, access.read_only_until))
        return application_error_response(request, error)

    def _api(self, request, ref):
        rest = request.path[len(_API_TENANTS) :].split("/", 1)[-1]
        if rest.startswith(EXEMPT_API_PREFIXES):
            return None
        tenant_id = tenant_id_from_ref(ref)
        if tenant_id is None:
            return None  # the view answers 404
        access = access_get(tenant_id)
        remember_for_request(request, access)
        if access.is_active:
            return None
        if access.is_read_only and request.method in SAFE_METHODS:
            return None
        if not _is_member(request, ref):
            return None  # anonymous: 401, outsider: 404, both from the view itself
        message = access_message(access.access_state, access.read_only_until)
        return JsonResponse(error_body(PaymentRequired.default_code, message), status=402)


def _is_member(request, ref) -> bool:
    """Authenticate like the API does (only on this rare path) and check the membership."""
    drf_request = Request(
        request, authenticators=[auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    )
    try:
        user = drf_request.user
        membership_resolve(user, ref)
    except (Http404, APIException):  # outsider, or bad credentials: the view answers
        return False
    return True
