"""The offline provider: labelled, answers only schemas with a heuristic, invents nothing."""

import pydantic
import pytest

from apps.ai.client import get_llm_client
from apps.ai.models import AIUsage
from apps.ai.providers.base import ProviderError, StructuredRequest
from apps.ai.providers.offline import OfflineClient, corporate_domain, register_offline_handler

pytestmark = pytest.mark.django_db


class Domain(pydantic.BaseModel):
    domain: str | None


def _domain(request: StructuredRequest) -> Domain:
    return Domain(domain=corporate_domain(request.context.get("email", "")))


register_offline_handler(Domain, _domain)  # a heuristic of this test's own schema


@pytest.fixture(autouse=True)
def _no_keys(settings):
    settings.ANTHROPIC_API_KEY = ""
    settings.GEMINI_API_KEY = ""


def test_without_a_key_the_client_is_the_labelled_offline_provider():
    client = get_llm_client("anthropic")
    assert client.offline and client.provider == "offline"
    assert isinstance(client.adapter, OfflineClient)
    assert get_llm_client("gemini").offline


def test_registrable_domain_handles_second_level_suffixes():
    assert corporate_domain("anna@sales.example.co.uk") == "example.co.uk"
    assert corporate_domain("anna@shop.msk.ru") == "shop.msk.ru"
    assert corporate_domain("anna@gmail.com") is None


def test_offline_calls_are_logged_as_offline_with_no_cost(tenant):
    request = StructuredRequest(
        system="s",
        prompt="p",
        schema=Domain,
        purpose="domain",
        tenant_id=tenant.id,
        context={"email": "ivan@romashka.ru"},
    )
    result = get_llm_client("anthropic").structured(request)
    assert result.offline and result.cost == 0 and result.model_version == "offline-heuristic-v1"
    assert result.data == Domain(domain="romashka.ru") and result.raw["offline"] is True
    usage = AIUsage.objects.for_tenant(tenant).get()
    assert usage.offline and usage.provider == "offline" and usage.cost == 0
    assert usage.outcome == "ok" and usage.purpose == "domain"


def test_a_schema_without_an_offline_heuristic_fails_instead_of_inventing(tenant):
    class Summary(pydantic.BaseModel):
        text: str

    request = StructuredRequest(
        system="s", prompt="p", schema=Summary, purpose="summary", tenant_id=tenant.id
    )
    with pytest.raises(ProviderError) as caught:
        get_llm_client("anthropic").structured(request)
    assert caught.value.code == "offline_unavailable" and caught.value.permanent
    assert AIUsage.objects.for_tenant(tenant).get().error_code == "offline_unavailable"
