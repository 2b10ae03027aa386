"""API plumbing shared by every app: the error shape, pagination, base serializers."""

import datetime
import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.urls import URLPattern, path
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


# The largest id a database row can have (a 64-bit primary key): a bigger one in a request is
# refused with 400 instead of overflowing the query into a 500.
MAX_ID = 2**63 - 1


def id_field(**kwargs) -> serializers.IntegerField:
    """An integer field that names a row: 1 … MAX_ID."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def query_int(request, name: str, *, default: int, min_value: int, max_value: int | None = None):
    """An integer query parameter: absent → `default`; anything else must be an integer in
    range, or 400 with the parameter's field error (never silently replaced by a default)."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    field = serializers.IntegerField(min_value=min_value, max_value=max_value)
    try:
        return field.run_validation(raw)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


class ClockTimeField(serializers.RegexField):
    """A time of day as "HH:MM" (JSON Schema's "time" format would want a UTC offset)."""

    PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"

    def __init__(self, **kwargs):
        super().__init__(self.PATTERN, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not re.fullmatch(self.PATTERN, value):  # validators run only after this method
            self.fail("invalid")
        return datetime.time.fromisoformat(value)

    def run_validators(self, value):
        # the pattern's validator (which documents it) checks the text, not the time
        super().run_validators(value.strftime("%H:%M"))

    def to_representation(self, value):
        return value.strftime("%H:%M")


class DefaultPagination(LimitOffsetPagination):
    """limit/offset paging; a `limit` or `offset` that is not an integer in range answers 400
    (DRF's own class would quietly fall back to its default)."""

    default_limit = 50
    max_limit = 500

    def get_limit(self, request):
        return query_int(
            request,
            self.limit_query_param,
            default=self.default_limit,
            min_value=1,
            max_value=self.max_limit,
        )

    def get_offset(self, request):
        return query_int(request, self.offset_query_param, default=0, min_value=0)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit},
            self.offset_query_param: {"minimum": 0},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API (documented on every endpoint)."""

    error = ErrorDetailSerializer()


# The JSON type each field kind takes. DRF's fields coerce (a CharField takes 12, a
# BooleanField "yes" and 1, an IntegerField "12"): the documented schema says string, boolean,
# integer, so a strict serializer refuses the other types with the field's own message.
_JSON_TYPES = (
    (serializers.BooleanField, (bool,), "invalid"),
    (serializers.IntegerField, (int,), "invalid"),
    (serializers.FloatField, (int, float), "invalid"),
    (serializers.CharField, (str,), "invalid"),
    (serializers.ChoiceField, (str,), "invalid_choice"),
    (serializers.ListField, (list,), "not_a_list"),
    (serializers.DictField, (dict,), "not_a_dict"),
)


def _wrong_type(field, value) -> bool:
    if value is None:
        return not field.allow_null
    for kind, types, _key in _JSON_TYPES:
        if isinstance(field, kind):
            if isinstance(value, bool) and bool not in types:
                return True
            return not isinstance(value, types)
    return False


def _type_error(field, value) -> list[str]:
    if value is None:
        key = "null"
    else:
        key = next(key for kind, _types, key in _JSON_TYPES if isinstance(field, kind))
    try:
        field.fail(key, input=value, input_type=type(value).__name__)
    except serializers.ValidationError as exc:
        return exc.detail
    return []  # pragma: no cover - fail() always raises


class StrictFieldsMixin:
    # Reject fields the serializer does not know, and values of another JSON type than the
    # field's (see `_JSON_TYPES`), instead of silently ignoring or coercing them. The OpenAPI
    # schema says so (`additionalProperties: false`, apps/core/openapi.py). A comment, not a
    # docstring: drf-spectacular would print a docstring as the description of every
    # serializer that has none of its own.

    def check_shape(self, data) -> None:
        """Unknown fields and wrong JSON types → ValidationError; the values' meaning is left
        to the fields' own validation (or to a service)."""
        if not isinstance(data, dict):
            return
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({key: [_("Unknown field.")] for key in unknown})
        errors = {
            name: _type_error(self.fields[name], value)
            for name, value in data.items()
            if not self.fields[name].read_only and _wrong_type(self.fields[name], value)
        }
        if errors:
            raise serializers.ValidationError(errors)

    def to_internal_value(self, data):
        self.check_shape(data)
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


def api_routes(prefix: str, name_prefix: str, *routes: tuple[str, type, str]) -> list[URLPattern]:
    """An app's API URLs: `(route, APIView class, name)` under `prefix`, each name after
    `name_prefix`."""
    return [
        path(prefix + route, view.as_view(), name=name_prefix + name)
        for route, view, name in routes
    ]


def validated(serializer_class, request, **kwargs) -> dict:
    """The request's body as `serializer_class` validates it; invalid input raises the 400
    that names each field."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
