"""The events API: batches answer per item, API keys with the rules tool, tenant isolation."""

from apps.messaging.rules.models import Event
from apps.tenants.keys import api_key_create
from apps.tenants.scoping import tenant_scope


def _url(tenant, *rest):
    return "/".join([f"/api/v1/tenants/{tenant.pk}", *map(str, rest)]) + "/"


def _event(n, at="2026-03-02T09:00:00Z", **extra):
    return {"event_id": f"e{n}", "event_type": "ping", "user_id": "u1", "occurred_at": at, **extra}


def test_batch_answers_per_item_in_order(operator_api, seed_pack):
    items = [_event(1), {"event_id": "bad"}, _event(2, "2026-03-01T09:00:00Z"), _event(1)]

    response = operator_api.post(_url(seed_pack, "events"), {"events": items}, format="json")

    body = response.json()
    assert response.status_code == 200
    assert [r["status"] for r in body["results"]] == [
        "accepted",
        "rejected",
        "accepted",
        "replayed",
    ]
    assert set(body["results"][1]["errors"]) >= {"event_type", "occurred_at"}
    assert body["summary"] == {"accepted": 2, "replayed": 1, "rejected": 1}


def test_batch_over_1000_is_refused_naming_events(operator_api, seed_pack):
    items = [_event(n) for n in range(1001)]

    response = operator_api.post(_url(seed_pack, "events"), items, format="json")

    assert response.status_code == 400 and "events" in response.json()["error"]["fields"]


def test_an_api_key_works_with_the_rules_tool_without_api_access(api_client, seed_pack):
    # Start has the follow-up rules tool, not the Business plan's API access
    _key, raw = api_key_create(tenant=seed_pack, actor=None, name="events", role="operator")
    api_client.credentials(HTTP_X_API_KEY=raw)

    accepted = api_client.post(_url(seed_pack, "events"), _event(1), format="json")
    leads = api_client.get(_url(seed_pack, "leads"))

    assert accepted.status_code == 201
    assert leads.status_code == 403  # other endpoints still need API access


def test_without_the_tool_the_endpoint_is_locked(operator_api, tenant):
    response = operator_api.post(_url(tenant, "events"), _event(1), format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "feature_locked"


def test_another_tenant_sees_nothing(outsider_api, operator_api, seed_pack):
    operator_api.post(_url(seed_pack, "events"), _event(1), format="json")

    assert outsider_api.post(_url(seed_pack, "events"), _event(2), format="json").status_code == 404
    assert outsider_api.get(_url(seed_pack, "audit", "u1")).status_code == 404
    assert outsider_api.get(_url(seed_pack, "messages")).status_code == 404
    with tenant_scope(seed_pack):
        assert Event.objects.count() == 1


def test_analysts_read_the_audit_but_cannot_send_events(analyst_api, seed_pack):
    assert analyst_api.get(_url(seed_pack, "audit", "u1")).status_code == 200
    assert analyst_api.post(_url(seed_pack, "events"), _event(1), format="json").status_code == 403


def test_a_batch_of_things_that_are_not_events_is_refused_whole(operator_api, seed_pack):
    bare = operator_api.post(_url(seed_pack, "events"), [None, _event(1)], format="json")
    wrapped = operator_api.post(
        _url(seed_pack, "events"), {"events": [_event(1)], "event_id": "e1"}, format="json"
    )
    empty = operator_api.post(_url(seed_pack, "events"), {"events": []}, format="json")

    assert bare.status_code == 400 and "events.0" in bare.json()["error"]["fields"]
    assert wrapped.status_code == 400 and "event_id" in wrapped.json()["error"]["fields"]
    assert empty.status_code == 400 and "events" in empty.json()["error"]["fields"]
    assert not Event.objects.for_tenant(seed_pack).exists()


def test_a_lead_id_beyond_a_row_is_a_field_error(operator_api, seed_pack):
    response = operator_api.post(
        _url(seed_pack, "events"),
        {"event_id": "e1", "event_type": "ping", "lead_id": 2**63, "occurred_at": "2026-03-02"},
        format="json",
    )

    assert response.status_code == 400 and "lead_id" in response.json()["error"]["fields"]


def test_audit_of_a_lead_id_beyond_a_row_is_not_found(operator_api, seed_pack):
    response = operator_api.get(_url(seed_pack, "audit", f"lead:{2**64}"))

    assert response.status_code == 404
