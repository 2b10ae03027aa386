"""The pricing page from the plan catalogue, and the Enterprise form (a lead of the staff
company, validated, throttled)."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation

from apps.billing.models import Plan
from apps.core.money import Money
from apps.leads.models import Lead
from apps.site.selectors import price_label
from apps.site.services import staff_tenant_ensure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Ирина Смирнова",
    "company": "Ромашка",
    "email": "irina@romashka.ru",
    "phone": "+7 916 123-45-67",
    "message": "Нужно 20 сайтов и счета от юрлица.",
    "consent": "on",
}


@pytest.fixture
def staff_owner(db):
    return UserFactory(email="staff@fastlead.example", is_superuser=True, is_staff=True)


def _card(body: str, code: str) -> str:
    start = body.index(f'id="plan-{code}"')
    return body[start : body.index("</article>", start)]


def test_price_label_formats_minor_units_in_the_active_language(settings):
    with translation.override("ru"):
        assert price_label(Money(499000, "RUB")) == "4\u00a0990\u00a0₽"
        assert price_label(Money(1999, "EUR")) == "19,99\u00a0€"
    with translation.override("en"):
        assert price_label(Money(1999000, "RUB")) == "19,990\u00a0₽"
        assert price_label(Money(3999, "EUR")) == "39.99\u00a0€"


def test_pricing_shows_the_rouble_plans_of_the_catalogue_with_their_amounts(client):
    body = client.get(reverse("site:pricing")).content.decode()

    rub = Plan.objects.filter(status="active", currency="RUB", trial_days=0)
    assert rub.count() >= 3
    for plan in rub:
        card = _card(body, plan.code)
        assert plan.name_ru in card
        assert f'data-amount="{plan.price_amount}" data-currency="RUB"' in card
        assert price_label(plan.price) in card
    assert 'id="plan-trial"' not in body
    assert 'id="plan-email_2500"' not in body  # on its own tab
    assert "по запросу" in _card(body, "enterprise")


def test_a_price_change_in_the_catalogue_shows_on_the_page(client):
    Plan.objects.filter(code="start").update(price_amount=555000)

    body = client.get(reverse("site:pricing")).content.decode()

    assert "5\u00a0550\u00a0₽" in _card(body, "start")


def test_a_closed_plan_is_not_offered(client):
    Plan.objects.filter(code="pro").update(status="closed")

    assert 'id="plan-pro"' not in client.get(reverse("site:pricing")).content.decode()


def test_the_email_tab_shows_the_euro_tiers(client):
    body = client.get(reverse("site:pricing") + "?tab=email").content.decode()

    assert "19,99\u00a0€" in _card(body, "email_2500")
    assert "39,99\u00a0€" in _card(body, "email_unlimited")
    assert 'id="plan-start"' not in body


def test_pricing_structured_data_offers_every_plan_in_major_units(client):
    body = client.get(reverse("site:pricing")).content.decode()

    blocks = [
        json.loads(b)
        for b in re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    ]
    product = next(b for b in blocks if b["@type"] == "Product")
    offers = {(o["price"], o["priceCurrency"]) for o in product["offers"]}
    assert ("4990.00", "RUB") in offers
    assert ("19.99", "EUR") in offers


def test_try_for_free_leads_to_sign_up(client):
    body = client.get(reverse("site:pricing")).content.decode()

    assert f'href="{reverse("account_signup")}" data-cta="pricing"' in body


def test_enterprise_inquiry_creates_a_lead_in_the_staff_company(client, staff_owner, settings):
    response = client.post(reverse("site:enterprise_inquiry"), VALID)

    assert response.status_code == 302
    assert response["Location"].endswith("#enterprise")
    staff = staff_tenant_ensure()
    assert staff.slug == settings.STAFF_TENANT_SLUG
    lead = Lead.objects.for_tenant(staff).get()
    assert (lead.email, lead.company, lead.lead_type) == (
        "irina@romashka.ru",
        "Ромашка",
        "enterprise_inquiry",
    )
    assert lead.consent_processing is True
    assert "Спасибо" in client.get(response["Location"]).content.decode()


def test_enterprise_inquiry_lands_only_in_the_staff_company(client, staff_owner, tenant):
    client.post(reverse("site:enterprise_inquiry"), VALID)

    assert not Lead.objects.for_tenant(tenant).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
        ({"company": ""}, "company"),
        ({"consent": ""}, "consent"),
        ({"phone": "12"}, "phone"),
    ],
)
def test_enterprise_inquiry_refuses_bad_input_per_field_and_stores_nothing(
    client, staff_owner, change, field
):
    response = client.post(reverse("site:enterprise_inquiry"), {**VALID, **change})

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Lead.objects.unscoped().exists()


def test_enterprise_inquiry_from_a_bot_is_thanked_and_dropped(client, staff_owner):
    response = client.post(reverse("site:enterprise_inquiry"), {**VALID, "website": "spam.example"})

    assert response.status_code == 302
    assert not Lead.objects.unscoped().exists()


def test_enterprise_inquiries_are_throttled_per_ip(client, staff_owner, settings):
    settings.SITE_INQUIRY_RATE = "2/hour"
    for n in range(2):
        ok = client.post(reverse("site:enterprise_inquiry"), {**VALID, "email": f"a{n}@x.ru"})
        assert ok.status_code == 302

    refused = client.post(reverse("site:enterprise_inquiry"), {**VALID, "email": "a3@x.ru"})

    assert refused.status_code == 429
    assert "Слишком много" in refused.content.decode()
    assert Lead.objects.unscoped().count() == 2


def test_without_any_owner_the_inquiry_says_so_and_stores_nothing(client):
    response = client.post(reverse("site:enterprise_inquiry"), VALID)

    assert response.status_code == 503
    assert not Lead.objects.unscoped().exists()


def test_the_enterprise_form_is_get_only_for_the_pricing_page(client):
    assert client.get(reverse("site:enterprise_inquiry")).status_code == 405
