"""End to end in headless Chromium: log in, filter the leads, open one, add a note, import a CSV
and watch it finish — without page reloads where HTMX does the work. Screenshots (desktop and
375 px) go to /tmp/shots/."""

import re

import pytest
from playwright.sync_api import expect

from apps.leads.ingestion import ingest_leads
from apps.tenants.roles import Role
from tests.browser.support import (  # noqa: F401 (chromium: the fixture)
    BROWSER_MARKS,
    chromium,
    log_in,
    new_page,
    shoot,
)
from tests.factories import MembershipFactory, TenantFactory

pytestmark = BROWSER_MARKS

CSV = (
    "Имя;E-mail;Телефон;Компания\n"
    "Пётр Иванов;petr@example.ru;+7 916 000-11-22;Сириус\n"
    "Мария Котова;maria@example.ru;;Вега\n"
    "Без почты;not-an-email;;\n"
)


@pytest.fixture
def company(transactional_db):
    tenant = TenantFactory(name="Ромашка", slug="romashka")
    user = MembershipFactory(tenant=tenant, role=Role.OPERATOR, user__name="Ольга Оператор").user
    items = [
        {
            "email": "anna@romashka.ru",
            "name": "Анна Смирнова",
            "company": "Ромашка",
            "actions": [
                {
                    "action_type": "Form Submission",
                    "timestamp": "2024-04-01T10:00:00Z",
                    "engagement_level": "High",
                }
            ],
        },
        {"email": "bob@example.com", "name": "Bob Stone", "company": "Acme", "source": "telegram"},
        *[
            {"email": f"lead{i}@example.com", "name": f"Лид {i}", "source": "widget"}
            for i in range(60)
        ],
    ]
    outcome = ingest_leads(tenant=tenant, items=items, source="api")
    assert outcome.summary["rejected"] == 0
    return tenant, user


@pytest.mark.django_db(transaction=True)
def test_filter_open_a_lead_note_it_and_import_a_csv(
    company,
    live_server,
    chromium,  # noqa: F811
    tmp_path,
):

    tenant, user = company
    leads_url = f"/t/{tenant.slug}/leads/"
    page = new_page(chromium, 1366)

    # given an operator who logs in and lands on the leads page
    log_in(page, live_server, user.email, leads_url)
    expect(page.get_by_role("heading", name="Лиды", exact=True)).to_be_visible()
    expect(page.locator("#lead-results tbody tr")).to_have_count(50)  # a keyset page
    shoot(page, "leads-desktop")
    page.evaluate("window.__samePage = true")

    # when they search, the table narrows without a reload and the URL keeps the filter
    page.fill("#filter-q", "Ромашка")
    expect(page.locator("#lead-results tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"\?q=%D0%A0"))
    page.select_option("#id_source", "api")
    expect(page.locator("#lead-results tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"source=api"))
    assert page.evaluate("window.__samePage") is True

    # and they open the lead and add a note, which lands in the timeline in place
    page.get_by_role("link", name="Анна Смирнова").click()
    expect(page.get_by_role("heading", name="Анна Смирнова")).to_be_visible()
    page.evaluate("window.__samePage = true")
    page.fill('textarea[name="body"]', "Перезвонить в четверг")
    page.get_by_role("button", name="Добавить заметку").click()
    expect(page.locator(".timeline")).to_contain_text("Перезвонить в четверг")
    expect(page.get_by_text("Заметка добавлена.")).to_be_visible()
    assert page.evaluate("window.__samePage") is True
    shoot(page, "lead-desktop")

    # when they import a small CSV
    csv_file = tmp_path / "контакты.csv"
    csv_file.write_bytes(CSV.encode("cp1251"))
    page.goto(f"{live_server.url}{leads_url}import/")
    page.set_input_files('input[name="file"]', str(csv_file))
    page.get_by_role("button", name="Загрузить и продолжить").click()
    expect(page.get_by_role("heading", name="Какой столбец что означает?")).to_be_visible()
    expect(page.locator('select[name="col_1"]')).to_have_value("email")
    shoot(page, "import-mapping-desktop")
    page.get_by_role("button", name="Начать импорт").click()

    # then the progress page shows it finished, with the counts and the report
    expect(page.get_by_role("heading", name="Импорт завершён")).to_be_visible()
    expect(page.locator('[data-count="created"]')).to_have_text("2")
    expect(page.locator('[data-count="rejected"]')).to_have_text("1")
    expect(page.get_by_role("link", name="Скачать отклонённые строки (CSV)")).to_be_visible()
    shoot(page, "import-done-desktop")
    assert page.console_errors == []  # among others: no Content-Security-Policy violations

    # and on a phone the same pages stay usable
    phone = new_page(chromium, 375)
    log_in(phone, live_server, user.email, leads_url)
    expect(phone.locator("#lead-results tbody tr").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(phone, "leads-375")
    phone.fill("#filter-q", "Ромашка")
    expect(phone.locator("#lead-results tbody tr")).to_have_count(1)
    phone.locator("a.lead-name", has_text="Анна Смирнова").click()
    expect(phone.locator(".timeline")).to_contain_text("Перезвонить в четверг")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(phone, "lead-375")
    assert phone.console_errors == []
