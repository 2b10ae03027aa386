"""The enrichment API: starting runs (one lead, a list, ids, a filter), 202 with the price and a
status URL, 402 on a declined payment, 403 without the tool or the role, the run's progress
and per-lead rows, and the lead's new fields."""

import pytest

from apps.billing.models import Subscription
from apps.billing.tests.helpers import subscribe
from apps.enrichment.models import EnrichmentRun
from apps.enrichment.tests.fixtures import *  # noqa: F403
from apps.enrichment.tests.fixtures import UNIT, answer, charges, lead, run_of
from apps.features.services import tenant_feature_set
from apps.leads.models import LeadList
from apps.leads.tests.conftest import make_leads, url
from apps.tenants.scoping import tenant_scope

# The assertions read the English source strings.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_ui")]


def _post(client, path, body=None, **headers):
    return client.post(path, body or {}, format="json", **headers)


def test_enrich_one_lead_answers_202_then_the_run_shows_each_lead(
    paying, fake_ai, two_leads, operator_api, django_capture_on_commit_callbacks
):
    fake_ai.default_output = answer(role=("Менеджер", 0.9))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(operator_api, url("api-lead-enrich", paying, lead_id=two_leads[0]))
    # then
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "running"  # as it was when the request answered
    assert (body["leads_selected"], body["leads_billable"], body["leads_skipped"]) == (1, 1, 0)
    assert body["price"] == {"amount": UNIT, "currency": "RUB"}
    assert body["billing_reference"].startswith("credit:") and body["offline"] is False
    run = EnrichmentRun.objects.for_tenant(paying).get()
    assert body["run_id"] == str(run.pk)
    assert body["status_url"].endswith(url("api-enrichment-run", paying, run_id=run.pk))
    # the run, as an analyst reads it
    status = operator_api.get(body["status_url"]).json()
    assert status["status"] == "done" and status["billing_reference"] == body["billing_reference"]
    assert status["progress"] == {
        "selected": 1,
        "billable": 1,
        "enriched": 1,
        "nothing_found": 0,
        "failed": 0,
        "skipped": 0,
        "done": 1,
        "percent": 100,
    }
    assert status["price"] == {"amount": UNIT, "currency": "RUB"}
    assert status["charge"] == {
        "free": False,
        "reserved": UNIT,
        "charged": UNIT,
        "given_back": 0,
        "currency": "RUB",
        "payment_url": "",
    }
    [item] = status["items"]["results"]
    assert item["lead_id"] == two_leads[0] and item["status"] == "enriched"
    assert item["fields"]["company"] == "ООО Ромашка" and item["fields"]["company_size"] is None
    assert item["not_determined"] == ["company_size"]
    assert item["model_version"] == "claude-sonnet-4-6"
    assert (item["input_tokens"], item["output_tokens"], item["cost"]) == (250, 120, "0.002550")
    assert status["items"]["count"] == 1 and status["items"]["next"] is None
    # the lead shows the new fields and what stays unknown
    shown = operator_api.get(url("api-lead", paying, lead_id=two_leads[0])).json()
    assert shown["role"] == "Менеджер" and shown["pain_point"].startswith("Теряют")
    assert shown["not_determined"] == ["company_size"]


def test_enrich_a_list_and_a_batch_of_ids_and_a_filter(
    paying, fake_ai, admin_api, django_capture_on_commit_callbacks
):
    with tenant_scope(paying):
        hot = LeadList.objects.create(tenant=paying, name="Hot")
    ids = make_leads(
        paying,
        [
            {"email": "a@alpha.ru", "list_id": hot.pk},
            {"email": "b@beta.ru", "list_id": hot.pk},
            {"email": "c@gamma.ru", "lead_type": "Webinar"},
        ],
    )
    with django_capture_on_commit_callbacks(execute=True):
        by_list = _post(admin_api, url("api-list-enrich", paying, list_id=hot.pk))
    with django_capture_on_commit_callbacks(execute=True):
        by_ids = _post(admin_api, url("api-leads-enrich", paying), {"lead_ids": ids, "force": True})
    with django_capture_on_commit_callbacks(execute=True):
        by_filter = _post(
            admin_api, url("api-leads-enrich", paying), {"filter": {"lead_type": "Webinar"}}
        )
    assert by_list.status_code == 202 and by_list.json()["leads_selected"] == 2
    assert by_ids.status_code == 202 and by_ids.json()["leads_billable"] == 3  # forced
    assert by_filter.status_code == 202
    # the Webinar lead was enriched a moment ago: unchanged, so nothing to pay
    assert by_filter.json()["leads_billable"] == 0 and by_filter.json()["status"] == "done"
    assert by_filter.json()["price"]["amount"] == 0
    listing = admin_api.get(url("api-enrichment-runs", paying)).json()
    runs = listing["results"]
    assert listing["count"] == 3
    assert [
        r["id"]
        for r in admin_api.get(url("api-enrichment-runs", paying) + "?limit=1").json()["results"]
    ] == [by_filter.json()["run_id"]]
    assert [r["id"] for r in runs] == [
        by_filter.json()["run_id"],
        by_ids.json()["run_id"],
        by_list.json()["run_id"],
    ]
    history = admin_api.get(url("api-lead-enrichments", paying, lead_id=ids[2])).json()
    assert [h["status"] for h in history] == ["skipped", "enriched"]
    assert history[0]["failure_reason"] == "Unchanged since the last enrichment."


def test_a_declined_card_answers_402_and_enriches_nothing(
    enrichment_on, fake_ai, two_leads, admin_api, django_capture_on_commit_callbacks
):
    subscribe(enrichment_on, "pro")
    Subscription.objects.for_tenant(enrichment_on).filter(status="active").update(
        provider="sandbox", payment_method_id="sandbox_card_decline"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(admin_api, url("api-lead-enrich", enrichment_on, lead_id=two_leads[0]))
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "payment_declined" and "declined" in error["message"].lower()
    run = EnrichmentRun.objects.for_tenant(enrichment_on).get()
    assert error["run_id"] == str(run.pk) and run.status == "declined"
    assert fake_ai.requests == [] and lead(enrichment_on, two_leads[0]).company == ""
    shown = admin_api.get(url("api-enrichment-run", enrichment_on, run_id=run.pk)).json()
    assert shown["status"] == "declined" and shown["failure_reason"] == error["message"]
    assert shown["items"]["results"][0]["status"] == "skipped"


def test_without_credit_or_card_it_is_402_payment_method_required(
    enrichment_on, fake_ai, two_leads, admin_api
):
    response = _post(admin_api, url("api-lead-enrich", enrichment_on, lead_id=two_leads[0]))
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "payment_method_required"


def test_a_plan_without_the_tool_answers_403_feature_locked(tenant, fake_ai, two_leads, admin_api):
    tenant_feature_set(tenant=tenant, feature="enrichment", mode="revoke", reason="tests")
    response = _post(admin_api, url("api-lead-enrich", tenant, lead_id=two_leads[0]))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "feature_locked"
    assert response.json()["error"]["feature"] == "enrichment"
    assert not EnrichmentRun.objects.for_tenant(tenant).exists()


def test_analysts_read_runs_but_cannot_start_them(
    paying, fake_ai, two_leads, analyst_api, admin_api, django_capture_on_commit_callbacks
):
    response = _post(analyst_api, url("api-lead-enrich", paying, lead_id=two_leads[0]))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    with django_capture_on_commit_callbacks(execute=True):
        run_id = _post(admin_api, url("api-lead-enrich", paying, lead_id=two_leads[0])).json()[
            "run_id"
        ]
    assert analyst_api.get(url("api-enrichment-run", paying, run_id=run_id)).status_code == 200


def test_another_tenants_run_and_leads_are_not_found(
    paying,
    fake_ai,
    two_leads,
    admin_api,
    outsider_api,
    other_tenant,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        run_id = _post(admin_api, url("api-lead-enrich", paying, lead_id=two_leads[0])).json()[
            "run_id"
        ]
    assert outsider_api.get(url("api-enrichment-run", paying, run_id=run_id)).status_code == 404
    # the outsider's own tenant does not know the run either, nor the lead
    tenant_feature_set(tenant=other_tenant, feature="enrichment", mode="grant", reason="tests")
    assert (
        outsider_api.get(url("api-enrichment-run", other_tenant, run_id=run_id)).status_code == 404
    )
    foreign = _post(outsider_api, url("api-lead-enrich", other_tenant, lead_id=two_leads[0]))
    assert foreign.status_code == 404
    assert admin_api.get(url("api-enrichment-run", paying, run_id="nope")).status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "non_field_errors"),
        ({"lead_ids": [1], "filter": {}}, "non_field_errors"),
        ({"lead_ids": []}, "lead_ids"),
        ({"lead_ids": ["x"]}, "lead_ids.0"),
        ({"lead_ids": [999_999]}, "lead_ids"),
        # beyond any 64-bit id: was a 500 (the query overflowed), found by schemathesis
        ({"lead_ids": [1, 2**77]}, "lead_ids.1"),
        ({"filter": {"status": "nope"}}, "status"),
        ({"lead_ids": [1], "surprise": True}, "surprise"),
    ],
)
def test_bad_batches_answer_400_with_the_field(paying, fake_ai, two_leads, admin_api, body, field):
    response = _post(admin_api, url("api-leads-enrich", paying), body)
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert field in error["fields"] or (field == "non_field_errors" and error["message"])
    assert not EnrichmentRun.objects.for_tenant(paying).exists()


def test_the_idempotency_key_returns_the_first_run(
    paying, fake_ai, two_leads, admin_api, django_capture_on_commit_callbacks
):
    path = url("api-leads-enrich", paying)
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(admin_api, path, {"lead_ids": two_leads}, HTTP_IDEMPOTENCY_KEY="k-1")
        again = _post(admin_api, path, {"lead_ids": two_leads}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 202
    assert first.json()["run_id"] == again.json()["run_id"]
    assert EnrichmentRun.objects.for_tenant(paying).count() == 1 and len(charges(paying)) == 1


def test_items_are_paginated(paying, offline_ai, admin_api, django_capture_on_commit_callbacks):
    ids = make_leads(paying, [{"email": f"p{n}@firm{n}.ru"} for n in range(5)])
    with django_capture_on_commit_callbacks(execute=True):
        run_id = _post(admin_api, url("api-leads-enrich", paying), {"lead_ids": ids}).json()[
            "run_id"
        ]
    path = url("api-enrichment-run", paying, run_id=run_id)
    first = admin_api.get(path, {"page_size": 2}).json()
    assert first["offline"] is True and first["items"]["count"] == 5
    assert [i["lead_id"] for i in first["items"]["results"]] == ids[:2]
    third = admin_api.get(first["items"]["next"].replace("http://testserver", "")).json()
    second_page = admin_api.get(path, {"page_size": 2, "page": 3}).json()
    assert [i["lead_id"] for i in second_page["items"]["results"]] == ids[4:]
    assert third["items"]["page"] == 2 and third["items"]["previous"]
    assert run_of(paying, EnrichmentRun.objects.for_tenant(paying).get()).leads_enriched == 5
    assert admin_api.get(path, {"status": "bogus"}).status_code == 400
    enriched = admin_api.get(path, {"status": "enriched"}).json()
    assert enriched["items"]["count"] == 5
    # a page number no database offset can hold is an empty page past the end, not a 500
    beyond = admin_api.get(path, {"page": "99999999999999999999", "page_size": 2})
    assert beyond.status_code == 200 and beyond.json()["items"]["results"] == []


@pytest.mark.parametrize("body", ["null", "false", "0", "[]", '"x"'])
def test_a_body_that_is_not_an_object_is_refused(paying, two_leads, operator_api, body):
    path = url("api-lead-enrich", paying, lead_id=two_leads[0])

    response = operator_api.post(path, body, content_type="application/json")

    assert response.status_code == 400
    assert not EnrichmentRun.objects.for_tenant(paying).exists()


def test_no_body_at_all_starts_the_run(paying, fake_ai, two_leads, operator_api):
    response = operator_api.post(url("api-lead-enrich", paying, lead_id=two_leads[0]))

    assert response.status_code == 202, response.json()
