"""The report page says what it shows: the rate card's currency, a PDF per customer, and a
period picker limited to the months with data."""

from datetime import date

import pytest

from apps.leads.ingestion import ingest_leads
from apps.payperlead.periods import months_with_actions
from apps.payperlead.tests.test_views import page
from apps.payperlead.tests.test_views import seeded as seeded  # the fixture

pytestmark = pytest.mark.django_db


def _lead(tenant, ref: str, when: str):
    ingest_leads(
        tenant=tenant,
        source="api",
        items=[
            {
                "lead_id": ref,
                "email": f"{ref}@example.com",
                "customer_id": "customer-123",
                "product_id": "product-abc",
                "lead_type": "Website Visit",
                "actions": [{"action_type": "Call", "timestamp": when, "engagement_level": "High"}],
            }
        ],
    )


def test_the_picker_offers_only_months_with_data_and_the_current_one(tenant, analyst_client_web):
    # actions in January 2024 and in April 2026: not the 27 empty months between them
    _lead(tenant, "a", "2024-01-10T10:00:00Z")
    _lead(tenant, "b", "2026-04-10T10:00:00Z")
    assert months_with_actions(tenant) == [date(2024, 1, 1), date(2026, 4, 1)]
    response = analyst_client_web.get(page(tenant))
    choices = [value for value, _label in response.context["form"].fields["period"].choices]
    assert "2024-01" in choices and "2026-04" in choices
    assert "2024-02" not in choices and "2025-06" not in choices
    assert len(choices) <= 3  # the two months with data and the current month
    assert response.context["period"] == date(2026, 4, 1)  # the latest month with data


def test_the_rate_cards_currency_is_stated(seeded, analyst_client_web, english_ui):
    body = analyst_client_web.get(page(seeded), {"period": "2024-04"}).content.decode()
    assert "data-report-currency" in body
    assert "Amounts are in USD: the currency of the customers' rate cards" in body


def test_each_customer_row_has_its_pdf(seeded, analyst_client_web):
    response = analyst_client_web.get(page(seeded), {"period": "2024-04"})
    body = response.content.decode()
    assert body.count("data-download-pdf") == len(response.context["rows"]) >= 2
    pdf_url = response.context["rows"][0]["pdf_url"]
    assert "format=pdf" in pdf_url and "customer=" in pdf_url
    download = analyst_client_web.get(pdf_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_stacked_cells_keep_their_labels(seeded, analyst_client_web, english_ui):
    body = analyst_client_web.get(page(seeded), {"period": "2024-04"}).content.decode()
    assert 'data-label="Billed"' in body and 'data-label="Saved: cap"' in body
    assert 'class="report-total"' in body
