"""Outreach drafts: Claude writes them through apps.ai (the local fake Anthropic server) from
the ticket, the recommended catalogue entry and the company's name, in the ticket's
language; offline (no key) and after a failed call the fixed template, labelled as such.
A draft never sends itself: the case waits for approval."""

import pytest
from django.utils import translation

from apps.ai.models import AIUsage
from apps.core.money import format_money
from apps.messaging.models import Message
from apps.tenants.scoping import tenant_scope
from apps.upsell.drafts import PURPOSE, ticket_language
from apps.upsell.models import CaseStatus, DraftSource
from apps.upsell.services.configuration import catalogue_add
from apps.upsell.tests.conftest import draft_answer
from apps.upsell.tests.helpers import make_case

pytestmark = pytest.mark.django_db

RUSSIAN_SUBJECT = "Лимит лидов"
RUSSIAN = "Мы каждый месяц упираемся в лимит 2000 лидов, сколько стоит следующий тариф?"


@pytest.fixture
def priced(tenant):
    return catalogue_add(
        tenant, product="Fast Lead", tier="Business", description="unlimited leads",
        price_amount=1999000, currency="RUB",
    )  # fmt: skip


def _usage(tenant, case) -> AIUsage:
    with tenant_scope(tenant):
        return AIUsage.objects.get(pk=case.draft_ai_usage_id)


def _page(client, tenant, case) -> str:
    return client.get(f"/t/{tenant.slug}/upsell/{case.pk}/").content.decode()


def test_claude_drafts_from_the_ticket_the_offer_and_the_company(tenant, priced, fake_anthropic):
    # given
    fake_anthropic.ok(draft_answer(), input_tokens=900, output_tokens=300)
    # when
    case = make_case(tenant)
    # then the one request carried the ticket, the catalogue entry with its price, the company
    assert len(fake_anthropic.requests) == 1
    sent = fake_anthropic.requests[0].body
    prompt = sent["messages"][0]["content"]
    with translation.override("en"):
        price = format_money(1999000, "RUB")
    assert "We hit the lead limit every month" in prompt and str(tenant.name) in prompt
    assert "Business" in prompt and "unlimited leads" in prompt and price in prompt
    assert "Write everything in English" in sent["system"]
    assert sent["output_config"]["format"]["type"] == "json_schema"
    # and the case holds the draft and who wrote it, as a classification records it
    usage = _usage(tenant, case)
    assert case.email_subject == "Fast Lead Business for your team"
    assert case.email_body.startswith("Ivan, you wrote") and case.call_script.startswith("1.")
    assert (case.draft_source, case.draft_language) == (DraftSource.AI, "en")
    assert (case.draft_model, case.draft_input_tokens, case.draft_output_tokens) == (
        "claude-sonnet-4-6", 900, 300,
    )  # fmt: skip
    assert case.draft_cost > 0 and usage.cost == case.draft_cost and usage.purpose == PURPOSE
    # a draft never sends itself
    assert case.status == CaseStatus.AWAITING_APPROVAL
    with tenant_scope(tenant):
        assert not Message.objects.exists()


def test_a_russian_ticket_is_drafted_in_russian(tenant, priced, fake_anthropic):
    fake_anthropic.ok(draft_answer(email_subject="Тариф Business для Ромашки"))
    case = make_case(tenant, subject=RUSSIAN_SUBJECT, body=RUSSIAN)
    sent = fake_anthropic.requests[0].body
    assert "Write everything in Russian" in sent["system"]
    assert RUSSIAN in sent["messages"][0]["content"]
    assert case.draft_language == "ru" and case.email_subject == "Тариф Business для Ромашки"


@pytest.mark.parametrize(
    ("ticket_text", "language"),
    [
        (RUSSIAN, "ru"),
        ("We hit the limit", "en"),
        ("Fast Lead: не хватает лимита", "ru"),
        ("", "ru"),
    ],
)
def test_the_ticket_language_is_the_alphabet_of_most_letters(ticket_text, language):
    assert ticket_language(ticket_text) == language


def test_without_a_key_the_template_is_used_in_the_tickets_language_and_labelled(
    admin_client_web, tenant, priced, settings
):
    # given no Anthropic key
    settings.ANTHROPIC_API_KEY = ""
    # when
    case = make_case(tenant, subject=RUSSIAN_SUBJECT, body=RUSSIAN)
    # then the offline provider answered with the template, in Russian, logged as offline
    assert case.draft_source == DraftSource.TEMPLATE and case.draft_language == "ru"
    assert case.email_body.startswith("Здравствуйте, Anna!")
    assert "Fast Lead Business" in case.email_subject and case.call_script.startswith("1. ")
    usage = _usage(tenant, case)
    assert usage.offline and usage.purpose == PURPOSE and case.draft_cost == 0
    # and the page says it is a template draft, still to be approved
    html = _page(admin_client_web, tenant, case)
    assert 'data-draft="template"' in html and 'value="approve"' in html


def test_the_case_page_labels_an_ai_draft_with_its_model(
    admin_client_web, tenant, priced, fake_anthropic
):
    fake_anthropic.ok(draft_answer())
    case = make_case(tenant)
    html = _page(admin_client_web, tenant, case)
    assert 'data-draft="ai"' in html and "claude-sonnet-4-6" in html
    assert "Fast Lead Business for your team" in html and 'value="approve"' in html


@pytest.mark.parametrize(
    ("script", "code"),
    [
        (lambda fake: fake.server_error(), "server_error"),
        (lambda fake: fake.ok({"email_subject": "only a subject"}), "schema_violation"),
    ],
)
def test_a_failed_ai_draft_leaves_the_template_with_the_reason(
    tenant, priced, fake_anthropic, script, code
):
    script(fake_anthropic)
    case = make_case(tenant)
    assert case.draft_source == DraftSource.TEMPLATE and code in case.draft_error
    assert "Anna" in case.email_body and case.status == CaseStatus.AWAITING_APPROVAL
    assert _usage(tenant, case).error_code == code
