"""API plumbing shared by every app: the error shape, pagination, base serializers."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.errors import ApplicationError

_DEFAULT_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    429: "throttled",
}


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    body = {"code": code, "message": message, "fields": fields or {}}
    body.update(extra)
    return {"error": body}


def _flatten(detail) -> dict[str, list[str]]:
    """DRF's nested error detail -> {"field": ["message", ...], "items.3.email": [...]}."""
    out: dict[str, list[str]] = {}

    def walk(value, prefix: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            for index, sub in enumerate(value):
                if sub:
                    walk(sub, f"{prefix}.{index}" if prefix else str(index))
        else:
            messages = value if isinstance(value, list) else [value]
            out.setdefault(prefix or "non_field_errors", []).extend(str(m) for m in messages)

    walk(detail, "")
    return out


def exception_handler(exc, context):
    """Render every API error as {"error": {"code", "message", "fields"}}."""
    if isinstance(exc, ApplicationError):
        body = error_body(exc.code, exc.message, exc.fields, **exc.extra)
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    status = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = _("Some fields are invalid.")
        code = "invalid"
        if list(fields) == ["non_field_errors"]:
            message = fields["non_field_errors"][0]
            fields = {}
        response.data = error_body(code, message, fields)
        return response
    detail = getattr(exc, "detail", "")
    if isinstance(detail, dict) and "detail" in detail:
        detail = detail["detail"]  # simplejwt's InvalidToken carries {"detail", "messages"}
    code = _DEFAULT_CODES.get(status, "error")
    if hasattr(detail, "code") and detail.code not in (None, "error", "invalid"):
        code = str(detail.code)
    if isinstance(exc, exceptions.Throttled):
        code = "throttled"
        response.data = error_body(
            code,
            _("Too many requests. Try again later."),
            retry_after=exc.wait and int(exc.wait + 0.999),
        )
        return response
    response.data = error_body(code, str(detail))
    return response


def json_not_found(request, exception=None):
    """404 handler: JSON in the API's error shape under /api/, HTML elsewhere."""
    if request.path.startswith("/api/") or request.path.startswith("/webhooks/"):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def json_server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", _("Internal server error.")), status=500)
    from django.views.defaults import server_error

    return server_error(request)


class DefaultPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (documented on every endpoint)."""

    error = ErrorDetailSerializer()


class StrictFieldsMixin:
    """Reject fields the serializer does not know, instead of silently ignoring them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: [_("Unknown field.")] for key in unknown})
        return super().to_internal_value(data)


_ERROR_DESCRIPTIONS = {
    400: "Invalid input; `fields` holds the field errors.",
    401: "Not authenticated, or the credentials or token are invalid.",
    403: "The caller's role or account state does not allow this.",
    404: "Not found (also for another tenant's objects).",
    409: "Conflicts with the current state (see `code`).",
    410: "Gone (expired).",
    429: "Too many requests.",
}


def error_responses(*statuses: int) -> dict:
    """drf-spectacular responses documenting the error shape for each status."""
    from drf_spectacular.utils import OpenApiResponse

    return {
        status: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS.get(status, ""))
        for status in statuses
    }
