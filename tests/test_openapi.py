"""The OpenAPI schema generates without warnings and documents the v1 routes."""

import pytest
import yaml
from django.core.management import call_command

EXPECTED_PATHS = {
    "/api/v1/auth/register": {"post"},
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/refresh": {"post"},
    "/api/v1/auth/confirm-email": {"post"},
    "/api/v1/auth/resend-confirmation": {"post"},
    "/api/v1/me": {"get", "patch"},
    "/api/v1/tenants/": {"get", "post"},
    "/api/v1/tenants/{tenant_id}/": {"get", "patch"},
    "/api/v1/tenants/{tenant_id}/team/": {"get"},
    "/api/v1/tenants/{tenant_id}/team/invitations/": {"post"},
    "/api/v1/tenants/{tenant_id}/team/invitations/{invitation_id}/": {"delete"},
    "/api/v1/tenants/{tenant_id}/team/{user_id}/": {"patch", "delete"},
    "/api/v1/invitations/accept": {"post"},
    "/api/v1/tenants/{tenant_id}/billing/invoices/": {"get"},
    "/api/v1/tenants/{tenant_id}/billing/invoices/{invoice_id}/pdf/": {"get"},
}
PUBLIC = {
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/confirm-email",
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "schema.yml"
    # --fail-on-warn turns any drf-spectacular warning into an error
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize(("path", "methods"), EXPECTED_PATHS.items())
def test_schema_documents_the_route(schema, path, methods):
    assert path in schema["paths"]
    assert methods <= set(schema["paths"][path])


@pytest.mark.parametrize("path", EXPECTED_PATHS)
def test_every_operation_documents_the_error_shape(schema, path):
    for method, operation in schema["paths"][path].items():
        errors = {code: r for code, r in operation["responses"].items() if code.startswith("4")}
        assert errors, f"{method.upper()} {path} documents no error response"
        for response in errors.values():
            ref = response["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Error"


def test_auth_endpoints_are_public_and_the_rest_need_a_jwt(schema):
    for path in EXPECTED_PATHS:
        for operation in schema["paths"][path].values():
            security = operation.get("security", [])
            if path in PUBLIC:
                assert not any("jwtAuth" in s for s in security), path
            else:
                assert {"jwtAuth": []} in security, path


def test_error_component_has_the_design_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    detail = error["properties"]["error"]
    assert detail["$ref"] == "#/components/schemas/ErrorDetail"
    assert set(schema["components"]["schemas"]["ErrorDetail"]["properties"]) == {
        "code",
        "message",
        "fields",
    }


def test_every_operation_documents_throttling(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert "429" in operation["responses"], f"{method.upper()} {path}"


def test_tenant_routes_document_the_402_of_a_lapsed_subscription(schema):
    # every tenant route the access-state middleware guards can answer 402; billing's own
    # routes stay open so that the company can pay, and privacy's so that it can take its data
    open_prefixes = ("/api/v1/tenants/{tenant_id}/billing/", "/api/v1/tenants/{tenant_id}/privacy/")
    for path, item in schema["paths"].items():
        if not path.startswith("/api/v1/tenants/{tenant_id}/"):
            continue
        for method, operation in item.items():
            documented = "402" in operation["responses"]
            if path.startswith(open_prefixes):
                continue
            assert documented, f"{method.upper()} {path}"


def test_strict_request_bodies_say_they_take_no_other_field(schema):
    # unknown fields answer 400 (apps.core.api.StrictFieldsMixin): the schema must say so, or
    # a client (and schemathesis) may send extra ones in good faith
    components = schema["components"]["schemas"]
    for name in ("RegisterRequest", "TenantCreateRequest", "PatchedLeadUpdateRequest"):
        assert components[name]["additionalProperties"] is False, name
    assert "additionalProperties" not in components["Lead"]


def test_every_operation_reading_input_documents_400(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            reads = "requestBody" in operation or any(
                p["in"] == "query" for p in operation.get("parameters", [])
            )
            if reads:
                assert "400" in operation["responses"], f"{method.upper()} {path}"


def test_a_lead_batch_is_documented_with_its_bounds(schema):
    body = schema["paths"]["/api/v1/tenants/{tenant_id}/leads/"]["post"]["requestBody"]
    array = body["content"]["application/json"]["schema"]
    assert (array["minItems"], array["maxItems"]) == (1, 10_000)


def test_no_schema_describes_itself_with_a_mixins_docstring(schema):
    leaked = [
        name
        for name, component in schema["components"]["schemas"].items()
        if "Reject fields the serializer" in component.get("description", "")
    ]
    assert leaked == []


def test_login_documents_the_optional_one_time_code(schema):
    operation = schema["paths"]["/api/v1/auth/login"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    login = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert login["properties"]["otp"]["type"] == "string"
    assert "amr" in login["properties"]["otp"]["description"]
    assert "otp" not in login.get("required", [])
    assert {"email", "password"} <= set(login["required"])
    for code in ("invalid_otp", "mfa_not_enabled"):
        assert code in operation["description"]
