"""The offline provider: labelled, and it fills only what the lead's own data proves."""

import pydantic
import pytest

from apps.ai.client import get_llm_client
from apps.ai.enrichment_prompt import ENRICHED_FIELDS, build_enrichment_request
from apps.ai.models import AIUsage
from apps.ai.providers.base import ProviderError, StructuredRequest
from apps.ai.providers.offline import OfflineClient, corporate_domain

pytestmark = pytest.mark.django_db


def _enrich(email, tenant, **facts):
    request = build_enrichment_request({"email": email, **facts}, tenant_id=tenant.id)
    return get_llm_client("anthropic").structured(request)


@pytest.fixture(autouse=True)
def _no_keys(settings):
    settings.ANTHROPIC_API_KEY = ""
    settings.GEMINI_API_KEY = ""


def test_without_a_key_the_client_is_the_labelled_offline_provider():
    client = get_llm_client("anthropic")
    assert client.offline and client.provider == "offline"
    assert isinstance(client.adapter, OfflineClient)
    assert get_llm_client("gemini").offline


def test_corporate_domain_gives_company_and_website_and_nothing_else(tenant):
    result = _enrich("Ivan.Petrov@mail.romashka-group.ru", tenant, role="", name="Иван")
    assert result.offline and result.cost == 0 and result.model_version == "offline-heuristic-v1"
    assert result.data.determined_values() == {
        "company": "romashka-group.ru",
        "website": "https://romashka-group.ru",
    }
    for name in ("industry", "role", "company_size", "pain_point_hypothesis"):
        field = getattr(result.data, name)
        assert field.value is None and not field.determined
    assert result.raw["offline"] is True


@pytest.mark.parametrize(
    "email",
    [
        "ivan@gmail.com",
        "ivan@yandex.ru",
        "ivan@ya.ru",
        "ivan@mail.ru",
        "ivan@bk.ru",
        "ivan@list.ru",
        "ivan@inbox.ru",
        "ivan@outlook.com",
        "ivan@hotmail.com",
        "ivan@icloud.com",
        "ivan@yahoo.com",
        "ivan@yahoo.co.jp",
        "ivan@rambler.ru",
        "ivan@proton.me",
        "not-an-email",
        "",
    ],
)
def test_free_mail_or_no_email_determines_nothing(email, tenant):
    result = _enrich(email, tenant)
    assert result.offline
    assert result.data.determined_values() == {}
    assert all(getattr(result.data, name).value is None for name in ENRICHED_FIELDS)


def test_registrable_domain_handles_second_level_suffixes():
    assert corporate_domain("anna@sales.example.co.uk") == "example.co.uk"
    assert corporate_domain("anna@shop.msk.ru") == "shop.msk.ru"
    assert corporate_domain("anna@gmail.com") is None


def test_offline_calls_are_logged_as_offline_with_no_cost(tenant):
    _enrich("ivan@romashka.ru", tenant)
    usage = AIUsage.objects.for_tenant(tenant).get()
    assert usage.offline and usage.provider == "offline" and usage.cost == 0
    assert usage.outcome == "ok" and usage.purpose == "lead_enrichment"


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
