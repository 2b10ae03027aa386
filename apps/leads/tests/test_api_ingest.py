"""POST /api/v1/tenants/{t}/leads/: one lead or a batch, merge rules, results, bad input."""

import json

import pytest

from apps.leads.models import Customer, Lead, LeadAction, Product, TimelineEntry
from apps.leads.tests.conftest import action, url
from apps.tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def post(client, tenant, body, **extra):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(url("api-leads", tenant), data, content_type="application/json", **extra)


# --- merge rules through the API -----------------------------------------------------------


def test_seed_sample_is_accepted_as_it_stands(operator_api, tenant, sample):
    response = post(operator_api, tenant, sample)
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == {"received": 4, "created": 4, "merged": 0, "rejected": 0}
    assert [r["index"] for r in body["results"]] == [0, 1, 2, 3]
    assert [r["actions_added"] for r in body["results"]] == [2, 2, 1, 1]
    with tenant_scope(tenant):
        assert Lead.objects.count() == 4 and LeadAction.objects.count() == 6
        assert Customer.objects.count() == 2 and Product.objects.count() == 3
        assert set(Lead.objects.values_list("source", flat=True)) == {"api"}


def test_resubmitting_the_sample_merges_and_adds_nothing(operator_api, tenant, sample):
    post(operator_api, tenant, sample)
    body = post(operator_api, tenant, sample).json()
    assert body["summary"]["merged"] == 4
    assert all(r["actions_added"] == 0 for r in body["results"])
    with tenant_scope(tenant):
        assert Lead.objects.count() == 4 and LeadAction.objects.count() == 6
        assert TimelineEntry.objects.filter(kind="merged").count() == 4


def test_one_lead_answers_201_created_then_200_merged(operator_api, tenant):
    lead = {"email": "Ann@Example.com", "name": "Ann", "actions": [action()]}
    first = post(operator_api, tenant, lead)
    assert first.status_code == 201
    assert first.json()["status"] == "created"
    assert first.json()["lead"]["email"] == "ann@example.com"
    second = post(operator_api, tenant, {"email": "ann@example.com", "phone": "+7 916 123-45-67"})
    assert second.status_code == 200
    assert second.json()["status"] == "merged"
    assert second.json()["lead_id"] == first.json()["lead_id"]
    assert second.json()["lead"]["phone"] == "+79161234567"


def test_same_phone_without_email_merges(operator_api, tenant):
    a = post(operator_api, tenant, {"phone": "8 (916) 123-45-67"}).json()
    b = post(operator_api, tenant, {"phone": "+79161234567", "name": "Boris"}).json()
    assert b["status"] == "merged" and b["lead_id"] == a["lead_id"]


def test_same_lead_id_merges(operator_api, tenant):
    a = post(operator_api, tenant, {"lead_id": "L-1", "actions": [action()]}).json()
    b = post(operator_api, tenant, {"lead_id": "L-1", "actions": [action("Like")]}).json()
    assert b["status"] == "merged" and b["lead_id"] == a["lead_id"] and b["actions_added"] == 1


def test_different_product_is_a_separate_lead(operator_api, tenant):
    body = post(
        operator_api,
        tenant,
        [
            {"email": "a@example.com", "product_id": "p1"},
            {"email": "a@example.com", "product_id": "p2"},
            {"email": "a@example.com", "product_id": "p1", "customer_id": "c1"},
            {"email": "a@example.com", "product_id": "p1"},
        ],
    ).json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created", "created", "created", "merged"]
    assert body["results"][3]["lead_id"] == body["results"][0]["lead_id"]


def test_external_id_makes_a_submission_idempotent(operator_api, tenant):
    lead = {"external_id": "ext-9", "email": "x@example.com", "actions": [action()]}
    first = post(operator_api, tenant, lead).json()
    again = post(operator_api, tenant, lead).json()
    assert again["status"] == "merged" and again["lead_id"] == first["lead_id"]
    assert again["actions_added"] == 0
    with tenant_scope(tenant):
        assert Lead.objects.count() == 1 and LeadAction.objects.count() == 1


def test_duplicates_inside_one_batch_merge_into_the_first(operator_api, tenant):
    body = post(
        operator_api,
        tenant,
        [{"email": "d@example.com", "actions": [action()]}, {"email": "D@example.com"}],
    ).json()
    assert [r["status"] for r in body["results"]] == ["created", "merged"]
    assert body["results"][0]["lead_id"] == body["results"][1]["lead_id"]


def test_a_merge_never_overwrites_a_field_set_by_hand(operator_api, tenant):
    lead_id = post(operator_api, tenant, {"email": "m@example.com"}).json()["lead_id"]
    edit = operator_api.patch(
        url("api-lead", tenant, lead_id=lead_id), {"company": ""}, format="json"
    )
    assert edit.status_code == 200
    # company was blank before; the edit marks it as set by hand (to blank)
    operator_api.patch(url("api-lead", tenant, lead_id=lead_id), {"name": "Manual"}, format="json")
    post(operator_api, tenant, {"email": "m@example.com", "name": "Robot", "company": "Robot Inc"})
    with tenant_scope(tenant):
        lead = Lead.objects.get(pk=lead_id)
    assert lead.name == "Manual"
    assert "name" in lead.manual_fields


# --- per-item results and bad input --------------------------------------------------------


def test_batch_reports_every_item_and_stores_only_the_valid(operator_api, tenant):
    body = post(
        operator_api,
        tenant,
        [
            {"email": "ok@example.com"},
            {"email": "not-an-email"},
            {"phone": "12"},
            {"lead_id": "x", "actions": [action(at="2024-02-30T00:00:00Z")]},
            {"lead_id": "y", "surprise": 1},
            {"lead_id": "z", "created_at": 12},
            {"lead_id": "w", "name": ["not", "a", "string"]},
            {"lead_id": "v", "created_at": "1970-01-01T00:00:00Z"},
            {},
            "not an object",
        ],
    ).json()
    assert body["summary"] == {"received": 10, "created": 1, "merged": 0, "rejected": 9}
    results = body["results"]
    assert [r["index"] for r in results] == list(range(10))
    assert "email" in results[1]["errors"]
    assert "phone" in results[2]["errors"]
    assert "actions.0.timestamp" in results[3]["errors"]
    assert "surprise" in results[4]["errors"]
    assert "created_at" in results[5]["errors"]
    assert "name" in results[6]["errors"]
    assert "created_at" in results[7]["errors"]
    assert "email" in results[8]["errors"]
    assert "non_field_errors" in results[9]["errors"]
    with tenant_scope(tenant):
        assert Lead.objects.count() == 1


def test_every_item_rejected_answers_422_with_the_results(operator_api, tenant):
    response = post(operator_api, tenant, [{"email": "bad"}, {"phone": "x"}])
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "all_rejected"
    assert body["summary"]["rejected"] == 2 and len(body["results"]) == 2


def test_one_invalid_lead_answers_400_with_field_errors(operator_api, tenant):
    response = post(operator_api, tenant, {"email": "nope", "extra": True})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"email", "extra"}


def test_malformed_json_answers_400(operator_api, tenant):
    response = post(operator_api, tenant, b'[{"email": "a@example.com",]')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_a_body_that_is_not_a_lead_answers_400(operator_api, tenant):
    for body in ("42", '"text"', "[]"):
        response = post(operator_api, tenant, body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] in ("invalid_body", "empty_batch")


def test_more_than_10000_items_answer_400_and_store_nothing(operator_api, tenant):
    items = [{"lead_id": str(i)} for i in range(10_001)]
    response = post(operator_api, tenant, items)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_items"
    with tenant_scope(tenant):
        assert not Lead.objects.exists()


def test_a_body_over_10_mb_answers_400_before_parsing(operator_api, tenant):
    big = json.dumps([{"lead_id": "a", "name": "x" * 1000}] * 10_500).encode()
    assert len(big) > 10 * 1024 * 1024
    response = post(operator_api, tenant, big)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_lie_about_content_length_is_caught_too(operator_api, tenant):
    response = post(operator_api, tenant, b"[]", CONTENT_LENGTH=str(11 * 1024 * 1024))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "payload_too_large"


def test_unknown_list_id_is_rejected_per_item(operator_api, tenant):
    body = post(operator_api, tenant, [{"email": "a@example.com", "list_id": 999999}]).json()
    assert body["results"][0]["status"] == "rejected"
    assert list(body["results"][0]["errors"]) == ["list_id"]


def test_a_message_lands_in_the_timeline(operator_api, tenant):
    lead_id = post(operator_api, tenant, {"email": "a@example.com", "message": "Call me"}).json()[
        "lead_id"
    ]
    with tenant_scope(tenant):
        entry = TimelineEntry.objects.get(lead_id=lead_id, kind="message_in")
    assert entry.body == "Call me"


def test_api_submissions_record_the_actor(operator_api, operator_user, tenant):
    lead_id = post(operator_api, tenant, {"email": "a@example.com"}).json()["lead_id"]
    with tenant_scope(tenant):
        assert TimelineEntry.objects.get(lead_id=lead_id).actor_id == operator_user.pk


def test_nul_characters_reject_only_their_item_with_the_field_named(operator_api, tenant):
    # given a batch of 10,000 leads with a NUL hidden in three of them
    items = [{"lead_id": f"ok-{i}"} for i in range(10_000)]
    items[17] = {"lead_id": "nul-name", "name": "Анна\x00Петрова"}
    items[5000] = {"lead_id": "nul-meta", "actions": [action(metadata={"k": "a\x00b"})]}
    items[9999] = {"email": "x\x00@example.com"}

    # when it is posted
    response = post(operator_api, tenant, items)

    # then only those three are rejected, each naming its field, and the rest are stored
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert body["summary"] == {"received": 10_000, "created": 9997, "merged": 0, "rejected": 3}
    rejected = {r["index"]: r["errors"] for r in body["results"] if r["status"] == "rejected"}
    assert set(rejected) == {17, 5000, 9999}
    assert "NUL" in rejected[17]["name"][0]
    assert "actions.0.metadata" in rejected[5000]
    assert "email" in rejected[9999]


@pytest.mark.parametrize("consent", ["yes", 1, "true", "on"])
def test_consent_must_be_a_real_boolean(operator_api, tenant, consent):
    body = post(operator_api, tenant, [{"lead_id": "c", "consent": {"processing": consent}}])

    [result] = body.json()["results"]
    assert result["status"] == "rejected"
    assert "consent.processing" in result["errors"]
