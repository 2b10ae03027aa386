"""The leads dashboard: pages per role, isolation, HTMX partials, filters, keyset pages, bulk
and inline actions, the lead detail and its timeline, lists, API keys and the widget page."""

import re

import pytest
from django.urls import reverse

from apps.features import services as feature_services
from apps.leads.models import Lead, LeadList, LeadStatus, TimelineEntry, TimelineKind
from apps.leads.tests.conftest import action, make_leads
from apps.tenants.models import PublishableKey, TenantAPIKey
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def page(name: str, tenant, **kwargs) -> str:
    return reverse(f"leads:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


def people(count: int, **extra) -> list[dict]:
    return [
        {"email": f"person{i}@example.com", "name": f"Person {i:03d}", **extra}
        for i in range(count)
    ]


@pytest.fixture
def leads(tenant):
    items = [
        {
            "email": "anna@romashka.ru",
            "name": "Анна Смирнова",
            "phone": "+7 916 123-45-67",
            "company": "Ромашка",
            "lead_type": "Website Visit",
            "actions": [action("Form Submission", level="High")],
        },
        {"email": "bob@example.com", "name": "Bob Stone", "company": "Acme", "source": "telegram"},
        {"phone": "+7 903 555-12-34", "name": "Виктор"},
    ]
    return make_leads(tenant, items)


@pytest.fixture
def lead_id(leads):
    return leads[0]


@pytest.fixture
def other_lead(other_tenant):
    return make_leads(other_tenant, [{"email": "secret@other.example", "name": "Secret"}])[0]


@pytest.fixture
def a_list(tenant):
    with tenant_scope(tenant):
        return LeadList.objects.create(tenant=tenant, name="Вебинар")


def scoped(tenant, query):
    with tenant_scope(tenant):
        return query()


def lead_of(tenant, pk) -> Lead:
    return scoped(tenant, lambda: Lead.objects.get(pk=pk))


def timeline_kinds(tenant, pk) -> list[str]:
    return scoped(
        tenant,
        lambda: list(
            TimelineEntry.objects.filter(lead_id=pk).order_by("pk").values_list("kind", flat=True)
        ),
    )


# --- who may see what -------------------------------------------------------------------------


def _urls(tenant, lead_id, list_id):
    return {
        "get": [
            page("index", tenant),
            page("export", tenant),
            page("detail", tenant, lead_id=lead_id),
            page("lists", tenant),
            page("import", tenant),
            page("api_keys", tenant),
            page("widget", tenant),
        ],
        "post": [
            page("bulk", tenant),
            page("status", tenant, lead_id=lead_id),
            page("assign", tenant, lead_id=lead_id),
            page("move", tenant, lead_id=lead_id),
            page("escalate", tenant, lead_id=lead_id),
            page("note", tenant, lead_id=lead_id),
            page("delete", tenant, lead_id=lead_id),
            page("list_rename", tenant, list_id=list_id),
            page("list_delete", tenant, list_id=list_id),
            page("api_key_create", tenant),
            page("widget_rotate", tenant),
        ],
    }


def test_anonymous_visitors_are_sent_to_login(client, tenant, lead_id, a_list):
    urls = _urls(tenant, lead_id, a_list.pk)
    for url in urls["get"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    for url in urls["post"]:
        response = client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_another_companys_member_gets_404_everywhere(outsider_client_web, tenant, lead_id, a_list):
    urls = _urls(tenant, lead_id, a_list.pk)
    for url in urls["get"]:
        assert outsider_client_web.get(url).status_code == 404, url
    for url in urls["post"]:
        assert outsider_client_web.post(url, {"status": "lost"}).status_code == 404, url
    assert lead_of(tenant, lead_id).status == LeadStatus.NEW


def test_a_foreign_lead_answers_404_to_a_member(admin_client_web, tenant, other_lead):
    assert admin_client_web.get(page("detail", tenant, lead_id=other_lead)).status_code == 404
    response = admin_client_web.post(page("note", tenant, lead_id=other_lead), {"body": "hi"})
    assert response.status_code == 404


def test_analyst_reads_and_exports_but_cannot_work_leads(
    analyst_client_web, tenant, lead_id, a_list
):
    response = analyst_client_web.get(page("index", tenant))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Анна Смирнова" in html
    assert 'name="ids"' not in html and "status-select" not in html  # no work controls
    assert analyst_client_web.get(page("export", tenant) + "?format=csv").status_code == 200
    assert analyst_client_web.get(page("detail", tenant, lead_id=lead_id)).status_code == 200
    forbidden = [
        (page("bulk", tenant), {"action": "status", "ids": [lead_id], "status_value": "lost"}),
        (page("status", tenant, lead_id=lead_id), {"status": "lost"}),
        (page("note", tenant, lead_id=lead_id), {"body": "hi"}),
        (page("escalate", tenant, lead_id=lead_id), {"assignee": 1}),
        (page("delete", tenant, lead_id=lead_id), {}),
        (page("lists", tenant), {"name": "New"}),
        (page("list_delete", tenant, list_id=a_list.pk), {"confirm": "1"}),
    ]
    for url, data in forbidden:
        assert analyst_client_web.post(url, data).status_code == 403, url
    assert analyst_client_web.get(page("import", tenant)).status_code == 403
    assert analyst_client_web.get(page("api_keys", tenant)).status_code == 403
    assert lead_of(tenant, lead_id).status == LeadStatus.NEW


def test_operator_works_leads_but_does_not_manage_keys(operator_client_web, tenant, lead_id):
    response = operator_client_web.get(page("index", tenant))
    assert 'name="ids"' in response.content.decode()
    assert operator_client_web.get(page("import", tenant)).status_code == 200
    assert operator_client_web.get(page("widget", tenant)).status_code == 200
    assert operator_client_web.get(page("api_keys", tenant)).status_code == 403
    assert operator_client_web.post(page("widget_rotate", tenant)).status_code == 403


# --- the table ---------------------------------------------------------------------------------


def test_the_leads_page_lists_the_companys_leads_only(admin_client_web, tenant, leads, other_lead):
    html = admin_client_web.get(page("index", tenant)).content.decode()
    assert "Анна Смирнова" in html and "Bob Stone" in html and "Виктор" in html
    assert "Secret" not in html
    assert 'id="lead-filters"' in html and 'id="lead-results"' in html


def test_an_htmx_filter_answers_the_table_partial_and_the_url_to_push(
    admin_client_web, tenant, leads
):
    response = admin_client_web.get(page("index", tenant), {"source": "telegram", "q": ""}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and html.strip().startswith('<section id="lead-results"')
    assert "Bob Stone" in html and "Анна Смирнова" not in html
    assert response["HX-Push-Url"] == page("index", tenant) + "?source=telegram"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "ROMASHKA"}, {"Анна Смирнова"}),
        ({"q": "8 (903) 555-12-34"}, {"Виктор"}),
        ({"status": "new"}, {"Анна Смирнова", "Bob Stone", "Виктор"}),
        ({"status": "lost"}, set()),
        ({"lead_type": "Website Visit"}, {"Анна Смирнова"}),
        (
            {"created_from": "2000-01-01", "created_to": "2100-01-01"},
            {"Анна Смирнова", "Bob Stone", "Виктор"},
        ),
        ({"assigned": "none"}, {"Анна Смирнова", "Bob Stone", "Виктор"}),
        ({"assigned": "me"}, set()),
    ],
)
def test_filters_narrow_the_table(admin_client_web, tenant, leads, params, expected):
    html = admin_client_web.get(page("index", tenant), params, **HX).content.decode()
    names = {"Анна Смирнова", "Bob Stone", "Виктор"}
    assert {name for name in names if name in html} == expected


def test_filter_by_list_customer_and_product(admin_client_web, tenant, a_list):
    make_leads(tenant, [{"email": "in@list.ru", "name": "In List", "list_id": a_list.pk}])
    make_leads(
        tenant,
        [{"lead_id": "x1", "name": "Sold", "customer_id": "cust-1", "product_id": "prod-1"}],
    )
    html = admin_client_web.get(page("index", tenant), {"list": a_list.pk}, **HX).content.decode()
    assert "In List" in html and "Sold" not in html
    html = admin_client_web.get(
        page("index", tenant), {"customer": "cust-1"}, **HX
    ).content.decode()
    assert "Sold" in html and "In List" not in html
    html = admin_client_web.get(page("index", tenant), {"product": "prod-1"}, **HX).content.decode()
    assert "Sold" in html and "In List" not in html


def test_a_bad_filter_is_reported_and_the_others_still_apply(admin_client_web, tenant, leads):
    response = admin_client_web.get(
        page("index", tenant), {"created_from": "yesterday", "source": "telegram"}, **HX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "alert-error" in html and "Bob Stone" in html and "Анна Смирнова" not in html


def test_sorting_by_a_column_orders_the_rows_and_flips_on_a_second_click(
    admin_client_web, tenant, leads
):
    html = admin_client_web.get(page("index", tenant), {"ordering": "name"}, **HX).content.decode()
    assert html.index("Bob Stone") < html.index("Анна Смирнова") < html.index("Виктор")
    assert 'aria-sort="ascending"' in html and "ordering=-name" in html
    html = admin_client_web.get(page("index", tenant), {"ordering": "-name"}, **HX).content.decode()
    assert html.index("Виктор") < html.index("Анна Смирнова") < html.index("Bob Stone")


def _names_on(html: str) -> list[str]:
    return re.findall(r'class="lead-name"[^>]*>Person (\d{3})<', html)


def test_keyset_pages_go_forward_and_back_without_gaps(admin_client_web, tenant):
    make_leads(tenant, people(120))
    url = page("index", tenant)
    first = admin_client_web.get(url, {"ordering": "name"}, **HX).content.decode()
    next_query = re.search(r'rel="next" href="\?([^"]+)"', first).group(1).replace("&amp;", "&")
    second = admin_client_web.get(f"{url}?{next_query}", **HX).content.decode()
    last_query = re.search(r'rel="next" href="\?([^"]+)"', second).group(1).replace("&amp;", "&")
    third = admin_client_web.get(f"{url}?{last_query}", **HX).content.decode()
    seen = _names_on(first) + _names_on(second) + _names_on(third)
    assert seen == [f"{i:03d}" for i in range(120)]
    assert 'rel="next"' not in third and 'rel="prev"' in third
    back_query = re.search(r'rel="prev" href="\?([^"]+)"', second).group(1).replace("&amp;", "&")
    back = admin_client_web.get(f"{url}?{back_query}", **HX).content.decode()
    assert _names_on(back) == _names_on(first)


def test_a_broken_page_link_falls_back_to_the_first_page(admin_client_web, tenant, leads):
    response = admin_client_web.get(page("index", tenant), {"cursor": "garbage!"}, **HX)
    assert response.status_code == 200
    assert "Анна Смирнова" in response.content.decode()


def test_the_leads_page_costs_the_same_queries_for_5_and_60_leads(
    admin_client_web, tenant, django_assert_max_num_queries
):
    make_leads(tenant, people(5))
    admin_client_web.get(page("index", tenant))  # warm the session and entitlement caches
    with django_assert_max_num_queries(11) as few:
        admin_client_web.get(page("index", tenant))
    budget = len(few.captured_queries)  # read now: the next request resets the query log
    make_leads(tenant, people(60, company="Big"), source="import")
    with django_assert_max_num_queries(budget):
        response = admin_client_web.get(page("index", tenant))
    assert response.content.decode().count("data-row-check") == 50
    with django_assert_max_num_queries(7):  # the HTMX partial: no filter choices to read
        admin_client_web.get(page("index", tenant), {"status": "new"}, **HX)


def test_a_new_company_is_told_how_to_get_its_first_leads(admin_client_web, tenant):
    html = admin_client_web.get(page("index", tenant)).content.decode()
    assert page("widget", tenant) in html
    assert page("import", tenant) in html
    assert page("api_keys", tenant) in html
    assert 'id="lead-filters"' not in html


def test_a_filter_that_matches_nothing_offers_to_reset(admin_client_web, tenant, leads):
    html = admin_client_web.get(
        page("index", tenant), {"q": "nobody-at-all"}, **HX
    ).content.decode()
    assert "empty-filtered" in html and page("widget", tenant) not in html


def test_export_buttons_carry_the_current_filter(admin_client_web, tenant, leads):
    html = admin_client_web.get(
        page("index", tenant), {"source": "telegram"}, **HX
    ).content.decode()
    assert f"{page('export', tenant)}?format=xlsx&amp;source=telegram" in html
    response = admin_client_web.get(page("export", tenant), {"format": "csv", "source": "telegram"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "bob@example.com" in body and "anna@romashka.ru" not in body
    response = admin_client_web.get(page("export", tenant), {"format": "xlsx"})
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert admin_client_web.get(page("export", tenant), {"format": "pdf"}).status_code == 400


# --- bulk and inline actions -----------------------------------------------------------------


def test_bulk_status_changes_the_selected_rows_and_records_the_timeline(
    operator_client_web, tenant, leads
):
    data = {"action": "status", "ids": leads[:2], "status_value": "booked", "source": "telegram"}
    response = operator_client_web.post(page("bulk", tenant), data, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "alert-success" in html
    assert "Bob Stone" in html and "Анна Смирнова" not in html  # the table keeps the filter
    assert [lead_of(tenant, pk).status for pk in leads] == ["booked", "booked", "new"]
    assert TimelineKind.STATUS in timeline_kinds(tenant, leads[0])


def test_bulk_move_and_assign(operator_client_web, operator_user, tenant, leads, a_list):
    operator_client_web.post(
        page("bulk", tenant), {"action": "move", "ids": leads, "list_value": a_list.pk}, **HX
    )
    operator_client_web.post(
        page("bulk", tenant),
        {"action": "assign", "ids": [leads[0]], "assign_value": operator_user.pk},
        **HX,
    )
    assert all(lead_of(tenant, pk).list_id == a_list.pk for pk in leads)
    assert lead_of(tenant, leads[0]).assigned_to_id == operator_user.pk
    assert TimelineKind.MOVED in timeline_kinds(tenant, leads[1])
    assert TimelineKind.ASSIGNED in timeline_kinds(tenant, leads[0])


def test_bulk_delete_asks_for_confirmation_first(operator_client_web, tenant, leads):
    data = {"action": "delete", "ids": leads[:2]}
    html = operator_client_web.post(page("bulk", tenant), data, **HX).content.decode()
    assert "confirm-box" in html and 'name="confirm" value="1"' in html
    assert scoped(tenant, Lead.objects.count) == 3
    response = operator_client_web.post(page("bulk", tenant), {**data, "confirm": "1"}, **HX)
    assert response.status_code == 200
    assert scoped(tenant, lambda: list(Lead.objects.values_list("pk", flat=True))) == [leads[2]]


def test_bulk_actions_never_touch_another_companys_leads(
    operator_client_web, tenant, leads, other_tenant, other_lead
):
    data = {"action": "delete", "ids": [other_lead], "confirm": "1"}
    operator_client_web.post(page("bulk", tenant), data, **HX)
    assert scoped(other_tenant, Lead.objects.count) == 1


def test_bulk_without_a_selection_says_so(operator_client_web, tenant, leads):
    response = operator_client_web.post(page("bulk", tenant), {"action": "status"}, **HX)
    assert response.status_code == 400 and "alert-error" in response.content.decode()


def test_inline_status_answers_the_row_and_records_the_change(operator_client_web, tenant, lead_id):
    response = operator_client_web.post(
        page("status", tenant, lead_id=lead_id), {"status": "contacted", "view": "row"}, **HX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<tr id="lead-{lead_id}"') and "row-saved" in html
    assert lead_of(tenant, lead_id).status == "contacted"
    assert timeline_kinds(tenant, lead_id)[-1] == TimelineKind.STATUS


def test_inline_status_rejects_an_unknown_status(operator_client_web, tenant, lead_id):
    response = operator_client_web.post(
        page("status", tenant, lead_id=lead_id), {"status": "archived", "view": "row"}, **HX
    )
    assert response.status_code == 400 and "field-error" in response.content.decode()


# --- the lead ---------------------------------------------------------------------------------


def test_the_detail_shows_fields_actions_and_timeline(admin_client_web, tenant, lead_id):
    html = admin_client_web.get(page("detail", tenant, lead_id=lead_id)).content.decode()
    assert "anna@romashka.ru" in html and "+79161234567" in html and "Ромашка" in html
    assert "Form Submission" in html  # the actions table
    assert "timeline-created" in html
    # blanks that no enrichment looked at are "—", not "not determined" (see test_enrichment_views)
    assert "data-not-determined" not in html


def test_the_detail_costs_the_same_queries_whatever_its_history(
    operator_client_web, operator_user, tenant, lead_id, django_assert_max_num_queries
):
    url = page("detail", tenant, lead_id=lead_id)
    operator_client_web.get(url)
    # 12 for the lead page itself, a few for the panels of the apps above (the conversation:
    # its summary, messages and the channels to reply in)
    with django_assert_max_num_queries(16) as few:
        operator_client_web.get(url)
    budget = len(few.captured_queries)  # read now: the next requests reset the query log
    for i in range(20):
        operator_client_web.post(page("note", tenant, lead_id=lead_id), {"body": f"n{i}"}, **HX)
    with django_assert_max_num_queries(budget):
        operator_client_web.get(url)


def test_a_note_lands_in_the_timeline(operator_client_web, operator_user, tenant, lead_id):
    url = page("note", tenant, lead_id=lead_id)
    response = operator_client_web.post(url, {"body": "Позвонить в четверг"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and html.strip().startswith('<div id="lead-detail"')
    assert "Позвонить в четверг" in html
    entry = scoped(tenant, lambda: TimelineEntry.objects.filter(kind="note").get())
    assert entry.actor_id == operator_user.pk and entry.lead_id == lead_id


def test_an_empty_note_is_refused_with_a_message(operator_client_web, tenant, lead_id):
    response = operator_client_web.post(page("note", tenant, lead_id=lead_id), {"body": " "}, **HX)
    assert response.status_code == 400 and "field-error" in response.content.decode()


def test_escalation_assigns_marks_contacted_and_records_it(
    operator_client_web, second_operator, tenant, lead_id
):
    response = operator_client_web.post(
        page("escalate", tenant, lead_id=lead_id), {"assignee": second_operator.pk}, **HX
    )
    assert response.status_code == 200
    lead = lead_of(tenant, lead_id)
    assert lead.assigned_to_id == second_operator.pk and lead.status == "contacted"
    kinds = timeline_kinds(tenant, lead_id)
    assert {"assigned", "status_changed", "escalated"} <= set(kinds)


def test_escalation_to_an_outsider_is_refused(operator_client_web, outsider, tenant, lead_id):
    response = operator_client_web.post(
        page("escalate", tenant, lead_id=lead_id), {"assignee": outsider.pk}, **HX
    )
    assert response.status_code == 400
    assert lead_of(tenant, lead_id).assigned_to_id is None


def test_detail_status_assign_and_move_are_recorded(
    operator_client_web, operator_user, tenant, lead_id, a_list
):
    operator_client_web.post(page("status", tenant, lead_id=lead_id), {"status": "booked"}, **HX)
    operator_client_web.post(
        page("assign", tenant, lead_id=lead_id), {"assigned_to": operator_user.pk}, **HX
    )
    response = operator_client_web.post(
        page("move", tenant, lead_id=lead_id), {"list": a_list.pk}, **HX
    )
    html = response.content.decode()
    lead = lead_of(tenant, lead_id)
    assert (lead.status, lead.assigned_to_id, lead.list_id) == (
        "booked",
        operator_user.pk,
        a_list.pk,
    )
    assert {"status_changed", "assigned", "moved"} <= set(timeline_kinds(tenant, lead_id))
    assert "Вебинар" in html  # the timeline names the list


def test_a_plain_post_without_htmx_redirects_back_to_the_lead(operator_client_web, tenant, lead_id):
    response = operator_client_web.post(page("note", tenant, lead_id=lead_id), {"body": "no js"})
    assert response.status_code == 302
    assert response["Location"] == page("detail", tenant, lead_id=lead_id)


def test_deleting_a_lead_goes_back_to_the_table(operator_client_web, tenant, lead_id):
    response = operator_client_web.post(page("delete", tenant, lead_id=lead_id), **HX)
    assert response["HX-Redirect"] == page("index", tenant)
    assert not scoped(tenant, lambda: Lead.objects.filter(pk=lead_id).exists())


# --- lists --------------------------------------------------------------------------------------


def test_lists_show_their_counts_in_one_query(
    admin_client_web, tenant, a_list, django_assert_max_num_queries
):
    make_leads(tenant, [*people(3, list_id=a_list.pk), {"email": "free@example.com"}])
    with tenant_scope(tenant):
        LeadList.objects.create(tenant=tenant, name="Пустой")
    admin_client_web.get(page("lists", tenant))
    with django_assert_max_num_queries(8):
        html = admin_client_web.get(page("lists", tenant)).content.decode()
    row = re.search(rf'id="list-{a_list.pk}".*?</tr>', html, re.S).group(0)
    assert re.search(r'col-count">3<', row)


def test_create_rename_and_delete_a_list(operator_client_web, tenant, leads):
    response = operator_client_web.post(page("lists", tenant), {"name": "Выставка"}, **HX)
    assert response.status_code == 200 and "Выставка" in response.content.decode()
    item = scoped(tenant, lambda: LeadList.objects.get(name="Выставка"))
    operator_client_web.post(page("list_rename", tenant, list_id=item.pk), {"name": "Expo"}, **HX)
    assert scoped(tenant, lambda: LeadList.objects.get(pk=item.pk).name) == "Expo"
    duplicate = operator_client_web.post(page("lists", tenant), {"name": "EXPO"}, **HX)
    assert duplicate.status_code == 409 and "field-error" in duplicate.content.decode()
    operator_client_web.post(
        page("bulk", tenant), {"action": "move", "ids": leads, "list_value": item.pk}, **HX
    )
    ask = operator_client_web.post(page("list_delete", tenant, list_id=item.pk), **HX)
    assert "confirm-inline" in ask.content.decode()
    assert scoped(tenant, lambda: LeadList.objects.filter(pk=item.pk).exists())
    operator_client_web.post(page("list_delete", tenant, list_id=item.pk), {"confirm": "1"}, **HX)
    assert not scoped(tenant, lambda: LeadList.objects.filter(pk=item.pk).exists())
    assert scoped(tenant, Lead.objects.count) == 3  # the leads stay


# --- API keys and the widget ---------------------------------------------------------------------


def test_an_api_key_is_shown_once_and_can_be_revoked(admin_client_web, tenant):
    response = admin_client_web.post(
        page("api_key_create", tenant), {"name": "CRM", "role": "operator"}, **HX
    )
    html = response.content.decode()
    raw = re.search(r'id="new-api-key">(fl_[^<]+)<', html).group(1)
    key = scoped(tenant, lambda: TenantAPIKey.objects.get())
    assert raw.startswith(f"fl_{key.prefix}") and raw not in key.key_hash
    listing = admin_client_web.get(page("api_keys", tenant)).content.decode()
    assert raw not in listing and f"fl_{key.prefix}" in listing
    admin_client_web.post(page("api_key_revoke", tenant, key_id=key.pk), **HX)
    assert scoped(tenant, lambda: TenantAPIKey.objects.get().revoked_at) is not None


def test_an_api_key_needs_a_name(admin_client_web, tenant):
    response = admin_client_web.post(page("api_key_create", tenant), {"role": "operator"}, **HX)
    assert response.status_code == 400
    assert not scoped(tenant, TenantAPIKey.objects.exists)


def test_another_companys_key_cannot_be_revoked(admin_client_web, tenant, other_api_key):
    row, _raw = other_api_key
    response = admin_client_web.post(page("api_key_revoke", tenant, key_id=row.pk), **HX)
    assert response.status_code == 404


def test_the_widget_page_shows_the_key_and_snippet_and_rotates(admin_client_web, tenant):
    html = admin_client_web.get(page("widget", tenant)).content.decode()
    key = scoped(tenant, lambda: PublishableKey.objects.get(revoked_at__isnull=True)).key
    assert key in html and f"data-key=&quot;{key}&quot;" in html
    assert reverse("tenants:settings", kwargs={"tenant_slug": tenant.slug}) in html
    response = admin_client_web.post(page("widget_rotate", tenant), **HX)
    new = scoped(tenant, lambda: PublishableKey.objects.get(revoked_at__isnull=True)).key
    assert new != key and new in response.content.decode()


def test_dashboard_export_is_refused_when_the_export_tool_is_locked(
    tenant, analyst_client_web, leads
):
    allowed = analyst_client_web.get(f"/t/{tenant.slug}/leads/export/?format=csv")
    assert allowed.status_code == 200
    feature_services.tenant_feature_set(
        tenant=tenant, feature="export", mode="revoke", reason="test"
    )
    response = analyst_client_web.get(f"/t/{tenant.slug}/leads/export/?format=csv")
    assert response.status_code == 403
    # the table shows the locked state (with the plan that unlocks it), not download links
    html = analyst_client_web.get(f"/t/{tenant.slug}/leads/").content.decode()
    assert 'data-tool-locked="export"' in html and "?format=" not in html
    assert f"/t/{tenant.slug}/billing/" in html  # the locked button leads to the plans
