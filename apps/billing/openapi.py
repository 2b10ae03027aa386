"""Document billing's 402 on every tenant route it guards (AccessStateMiddleware): a company
whose subscription is read-only (writes) or blocked (everything) answers 402 there."""

from django.utils.translation import gettext_noop

from apps.billing.middleware import EXEMPT_API_PREFIXES
from apps.core.openapi import error_response, operations

TENANT_ROUTE = "/api/v1/tenants/{tenant_id}/"


def document_access_state(result, generator, request, public):
    description = gettext_noop(
        "Payment required: the company's subscription is read-only or blocked, or a paid "
        "limit is reached (`code` says which)."
    )
    for path, _method, operation in operations(result):
        rest = path.removeprefix(TENANT_ROUTE)
        if rest == path or rest.startswith(EXEMPT_API_PREFIXES):
            continue
        operation.setdefault("responses", {}).setdefault("402", error_response(description))
    return result
