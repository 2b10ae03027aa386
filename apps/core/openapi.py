"""Schema post-processing: document the answers every operation can give, so that clients
and contract tests (schemathesis) never meet an undocumented status code.

Apps add their own hooks for the statuses they cause (billing's 402 for a read-only or
blocked company: apps/billing/openapi.py); `error_response()` builds the entry.
"""

from django.utils.translation import gettext_noop
from drf_spectacular import openapi

from apps.core.api import StrictFieldsMixin

ERROR_REF = {"$ref": "#/components/schemas/Error"}
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus: the request body of a strict serializer (unknown
    fields → 400, apps.core.api.StrictFieldsMixin) says `additionalProperties: false`."""

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictFieldsMixin):
            schema["additionalProperties"] = False
        return schema

    def _unwrap_list_serializer(self, serializer, direction):
        """A list body's bounds (`many=True, min_length=…, max_length=…`) as minItems/maxItems."""
        schema = super()._unwrap_list_serializer(serializer, direction)
        if schema and schema.get("type") == "array":
            for attr, key in (("min_length", "minItems"), ("max_length", "maxItems")):
                if getattr(serializer, attr, None) is not None:
                    schema[key] = getattr(serializer, attr)
        return schema


def error_response(description: str) -> dict:
    return {"content": {"application/json": {"schema": ERROR_REF}}, "description": description}


def operations(result: dict):
    """(path, method, operation) of every operation in a generated schema."""
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def document_bad_input(result, generator, request, public):
    """An operation that reads query parameters or a body answers 400 with field errors when
    they are malformed (apps.core.api: pagination, strict serializers, filters)."""
    description = gettext_noop("Invalid input; `fields` holds the field errors.")
    for _path, _method, operation in operations(result):
        takes_input = "requestBody" in operation or any(
            parameter.get("in") == "query" for parameter in operation.get("parameters", [])
        )
        if takes_input:
            operation.setdefault("responses", {}).setdefault("400", error_response(description))
    return result


def document_throttling(result, generator, request, public):
    """Every API operation is throttled (per user, per IP on public ones): 429."""
    description = gettext_noop("Too many requests; `Retry-After` says when to try again.")
    for _path, _method, operation in operations(result):
        operation.setdefault("responses", {}).setdefault("429", error_response(description))
    return result
