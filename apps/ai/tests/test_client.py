"""Wiring of `get_llm_client`: usage rows, tenancy of the log, platform calls."""

import pydantic
import pytest

from apps.ai.client import get_llm_client
from apps.ai.models import AIUsage
from apps.ai.providers.base import StructuredRequest
from apps.ai.providers.offline import register_offline_handler
from apps.tenants.scoping import TenantScopeMissing, tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _offline(settings):
    settings.ANTHROPIC_API_KEY = ""


class Echo(pydantic.BaseModel):
    text: str


def _echo(request: StructuredRequest) -> Echo:
    return Echo(text=request.prompt)


register_offline_handler(Echo, _echo)  # the offline provider answers this test schema


def _request(tenant_id):
    return StructuredRequest(
        system="Echo.", prompt="hello", schema=Echo, purpose="test", tenant_id=tenant_id
    )


def test_usage_rows_are_tenant_scoped(tenant, other_tenant):
    client = get_llm_client()
    client.structured(_request(tenant.id))
    client.structured(_request(other_tenant.id))
    with tenant_scope(tenant):
        assert AIUsage.objects.count() == 1
    with pytest.raises(TenantScopeMissing):
        AIUsage.objects.count()  # outside any scope: fail closed


def test_a_platform_call_is_logged_without_a_tenant_on_the_explicit_path(tenant):
    get_llm_client().structured(_request(None))
    assert AIUsage.objects.platform().count() == 1
    with tenant_scope(tenant):
        assert AIUsage.objects.count() == 0  # never visible in a tenant's scope


def test_a_call_for_another_tenant_inside_a_scope_fails_before_anything_runs(tenant, other_tenant):
    with tenant_scope(tenant), pytest.raises(TenantScopeMissing):
        get_llm_client().structured(_request(other_tenant.id))
    assert not AIUsage.objects.unscoped().exists()


def test_an_unknown_provider_is_a_programming_error():
    with pytest.raises(ValueError):
        get_llm_client("openai")
