"""Server-side enforcement of tools: a DRF permission, a view decorator and a task guard.

A locked tool answers 403 with code `feature_locked`, the tool and the cheapest plan on sale
that unlocks it: `{"error": {"code": "feature_locked", "message": ..., "fields": {},
"feature": "export", "plan": "pro"}}`. The check reads the cached snapshot (no query when
warm); only a refusal looks at the membership, so that another tenant's caller still gets
404 and learns nothing about this tenant's plan.
"""

from __future__ import annotations

from functools import wraps

import structlog
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from apps.billing.plan_limits import tenant_id_from_ref
from apps.core.errors import ApplicationError
from apps.features.registry import tool_get
from apps.features.selectors import (
    Entitlements,
    entitlements_for_request,
    entitlements_get,
)
from apps.tenants.selectors import membership_resolve

logger = structlog.get_logger(__name__)


class FeatureLocked(ApplicationError):
    status_code = 403
    default_code = "feature_locked"

    def __init__(self, feature: str, entitlements: Entitlements | None = None):
        plan = entitlements.unlock_plan(feature) if entitlements else None
        tool = tool_get(feature)
        if entitlements is not None and not entitlements.is_active:
            message = _("“%(tool)s” is paused until your subscription is paid.") % {
                "tool": tool.name
            }
        elif plan is not None:
            message = _("“%(tool)s” is not included in your plan. It is available on %(plan)s.")
            message %= {"tool": tool.name, "plan": plan.name}
        else:
            message = _("“%(tool)s” is not included in your plan.") % {"tool": tool.name}
        super().__init__(message, extra={"feature": feature, "plan": plan.code if plan else None})
        self.feature = feature
        self.plan = plan


def feature_enabled(tenant, feature: str) -> bool:
    return entitlements_get(tenant).has(feature)


def ensure_feature(tenant, feature: str) -> None:
    """Raise FeatureLocked unless the tenant may use the tool (services, tasks, anywhere)."""
    entitlements = entitlements_get(tenant)
    if not entitlements.has(feature):
        raise FeatureLocked(feature, entitlements)


# --- DRF ----------------------------------------------------------------------------------


def RequiresFeature(feature: str) -> type[BasePermission]:
    """`permission_classes = [IsAuthenticated, RequiresFeature("export")]` on a tenant API
    view (its URL carries `tenant_id`, a UUID or slug)."""
    tool_get(feature)  # a typo fails at import, not on the first request

    class _RequiresFeature(BasePermission):
        def has_permission(self, request, view) -> bool:
            tenant = getattr(request, "tenant", None)
            ref = tenant.pk if tenant is not None else view.kwargs.get("tenant_id")
            tenant_id = tenant_id_from_ref(ref) if ref is not None else None
            if tenant_id is None:
                raise Http404
            entitlements = entitlements_for_request(request, tenant_id)
            if entitlements.has(feature):
                return True
            if tenant is None:
                _ensure_member(request, ref)
            raise FeatureLocked(feature, entitlements)

    _RequiresFeature.__name__ = _RequiresFeature.__qualname__ = f"RequiresFeature[{feature}]"
    return _RequiresFeature


def _ensure_member(request, ref) -> None:
    membership_resolve(request.user, ref)  # 404 for outsiders and unknown tenants


# --- dashboard views ----------------------------------------------------------------------


def feature_required(feature: str):
    """A dashboard view (under /t/<tenant_slug>/) that needs a tool; locked answers 403 with
    an upsell page (or, for HTMX, the message as a notice). Put it under `tenant_view`."""
    tool_get(feature)

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return view(request, *args, **kwargs)  # tenant_view sends them to log in
            entitlements = entitlements_for_request(request)
            if entitlements is None:
                raise Http404
            if not entitlements.has(feature):
                return feature_locked_response(request, FeatureLocked(feature, entitlements))
            return view(request, *args, **kwargs)

        # Outer `functools.wraps` decorators copy it: a test finds every link on a page that
        # would lead to a locked tool's 403 (tests/test_locked_tools.py).
        wrapped.required_feature = feature
        return wrapped

    return decorator


def feature_locked_response(request, error: FeatureLocked) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponse(error.message, content_type="text/plain; charset=utf-8", status=403)
    context = {"tool": tool_get(error.feature), "plan": error.plan, "message": error.message}
    return render(request, "features/locked.html", context, status=403)


# --- Celery tasks -------------------------------------------------------------------------


def task_requires_feature(feature: str, *, on_locked=None):
    """Guard a task body `f(tenant, ...)` (under `@tenant_task`): a locked tool runs nothing,
    calls `on_locked(tenant, *args, **kwargs)` (to mark the item failed with the reason) and
    returns `{"status": "refused", "code": "feature_locked", ...}`. Never retried: the
    answer will not change until someone changes the plan."""
    tool_get(feature)

    def decorator(func):
        @wraps(func)
        def wrapped(tenant, *args, **kwargs):
            entitlements = entitlements_get(tenant)
            if entitlements.has(feature):
                return func(tenant, *args, **kwargs)
            error = FeatureLocked(feature, entitlements)
            logger.warning(
                "task_refused_feature_locked",
                tenant_id=str(tenant.pk),
                feature=feature,
                task=func.__name__,
            )
            if on_locked is not None:
                on_locked(tenant, *args, **kwargs)
            return {
                "status": "refused",
                "code": error.code,
                "feature": feature,
                "plan": error.plan.code if error.plan else None,
            }

        return wrapped

    return decorator
