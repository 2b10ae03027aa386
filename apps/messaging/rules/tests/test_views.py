"""The dashboard editor: a tenant builds "SMS a lead not answered in 2 hours", sees it fire on
a test lead and suppressed the second time; the live test; templates; the lead page card."""

import json

from django.urls import reverse

from apps.billing.tests.helpers import subscribe
from apps.messaging.models import Message
from apps.messaging.rules.authoring import template_save
from apps.messaging.rules.models import Rule, Template
from apps.messaging.rules.tests.helpers import lead_make, sms_rule
from apps.tenants.scoping import tenant_scope


def _url(tenant, name, **kwargs):
    return reverse(f"messaging_rules:{name}", kwargs={"tenant_slug": tenant.slug, **kwargs})


RULE = {
    "code": "NUDGE_2H",
    "name": "SMS a lead not answered in 2 hours",
    "enabled": "on",
    "priority": "10",
    "trigger": "lead.created",
    "conditions": json.dumps(
        {"all": [{"field": "lead.first_contact_at", "op": "exists", "value": False}]}
    ),
    "action": "send",
    "channel": "sms",
    "once_per": "ever",
    "delay_minutes": "120",
}


def test_tenant_builds_the_nudge_rule_sees_it_fire_then_suppressed(
    operator_client_web, rules_tenant
):
    client, tenant = operator_client_web, rules_tenant
    # given: a template and the rule, built through the pages
    page = client.post(
        _url(tenant, "template-create"),
        {
            "key": "nudge",
            "name": "Nudge",
            "body_ru": "Мы скоро позвоним, {{ lead.name }}!",
        },
    )
    assert page.status_code == 302
    with tenant_scope(tenant):
        template = Template.objects.get(key="nudge")
        lead = lead_make(tenant)
    saved = client.post(_url(tenant, "create"), {**RULE, "template": template.pk})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    with tenant_scope(tenant):
        rule = Rule.objects.get(code="NUDGE_2H")
    assert rule.current.delay_minutes == 120 and rule.enabled

    # when: a test event for the lead, 3 hours old, twice
    test = {
        **RULE,
        "template": template.pk,
        "rule_id": rule.pk,
        "run": "1",
        "lead_id": lead.pk,
        "hours_ago": "3",
        "properties": "",
    }
    first = client.post(_url(tenant, "try"), test, HTTP_HX_REQUEST="true")
    second = client.post(_url(tenant, "try"), test, HTTP_HX_REQUEST="true")

    # then: queued once, then suppressed naming the limit
    assert first.status_code == 200 and "Сработало, в очереди" in first.content.decode()
    assert "Подавлено" in second.content.decode()
    assert "один раз на адресата, уже сделано решением" in second.content.decode()
    with tenant_scope(tenant):
        assert list(Message.objects.values_list("channel_kind", "body")) == [
            ("sms", "Мы скоро позвоним, Test!")
        ]
    # and the lead page explains both
    card = client.get(_url(tenant, "lead-audit", lead_id=lead.pk))
    assert card.content.decode().count("NUDGE_2H") == 2


def test_would_this_match_answers_with_the_failed_condition(operator_client_web, rules_tenant):
    form = {
        **RULE,
        "event_type": "lead.created",
        "properties": '{"plan": "pro"}',
        "conditions": json.dumps({"field": "properties.plan", "op": "eq", "value": "max"}),
    }

    answer = operator_client_web.post(_url(rules_tenant, "try"), form, HTTP_HX_REQUEST="true")
    yes = operator_client_web.post(
        _url(rules_tenant, "try"), {**form, "properties": '{"plan": "max"}'}
    )

    text = answer.content.decode()
    assert "properties.plan = &quot;max&quot;, фактическое значение &quot;pro&quot;" in text
    assert "правило сработает" in yes.content.decode()


def test_invalid_conditions_are_shown_per_path(operator_client_web, rules_tenant):
    bad = {**RULE, "conditions": json.dumps({"all": [{"field": "properties.x", "op": "~"}]})}

    page = operator_client_web.post(_url(rules_tenant, "create"), bad)

    assert page.status_code == 400
    assert "conditions.all[0].op" in page.content.decode()


def test_template_preview_fills_the_sample(operator_client_web, rules_tenant):
    page = operator_client_web.post(
        _url(rules_tenant, "template-preview"),
        {
            "key": "k",
            "name": "n",
            "body_ru": "Сумма {{ properties.amount }}",
            "body_en": "Amount {{ properties.amount }}",
            "sample_properties": '{"amount": 120}',
        },
    )

    assert "Сумма 120" in page.content.decode() and "Amount 120" in page.content.decode()


def test_pages_are_locked_without_the_tool_and_foreign_rules_are_404(
    operator_client_web, tenant, other_tenant
):
    assert operator_client_web.get(_url(tenant, "index")).status_code == 403
    subscribe(tenant, "start")
    assert operator_client_web.get(_url(tenant, "index")).status_code == 200
    with tenant_scope(other_tenant):
        foreign = sms_rule(other_tenant)
    assert operator_client_web.get(_url(tenant, "edit", rule_id=foreign.pk)).status_code == 404


def test_packs_install_from_the_page(operator_client_web, rules_tenant):
    operator_client_web.post(_url(rules_tenant, "pack-install", pack_key="lifecycle"))

    page = operator_client_web.get(_url(rules_tenant, "index"))
    assert "LEAD_NUDGE_UNANSWERED" in page.content.decode()
    with tenant_scope(rules_tenant):
        assert not Rule.objects.filter(enabled=True).exists()


def _rows(*rows, match="all"):
    data = {
        "match": match,
        "cond-TOTAL_FORMS": str(len(rows)),
        "cond-INITIAL_FORMS": "0",
        "cond-MIN_NUM_FORMS": "0",
        "cond-MAX_NUM_FORMS": "20",
    }
    for index, row in enumerate(rows):
        data.update({f"cond-{index}-{key}": value for key, value in row.items()})
    return data


BUILT = {key: value for key, value in RULE.items() if key != "conditions"}


def _template(tenant) -> int:
    with tenant_scope(tenant):
        return template_save(tenant=tenant, key="nudge", name="Nudge", body_ru="Мы позвоним!").pk


def test_conditions_are_built_from_rows_without_json(operator_client_web, rules_tenant):
    # given: "not answered" as a row, a removed row, and a look-back row
    rows = _rows(
        {"subject": "lead.first_contact_at", "op": "not_exists"},
        {"subject": "properties.plan", "op": "eq", "value": "max", "DELETE": "on"},
        {"subject": "signup", "op": "not_happened", "value": "24", "direction": "before"},
        {"subject": "properties.tier", "op": "in", "value": '1, gold, "2"'},
    )

    # when
    form = {**BUILT, **rows, "template": _template(rules_tenant)}
    saved = operator_client_web.post(_url(rules_tenant, "create"), form)

    # then: stored as one "all" group; the edit page shows the rows again
    assert saved.status_code == 302, saved.content.decode()[:3000]
    with tenant_scope(rules_tenant):
        rule = Rule.objects.get(code="NUDGE_2H")
    assert rule.current.conditions == {
        "all": [
            {"field": "lead.first_contact_at", "op": "exists", "value": False},
            {"event": "signup", "happened": False, "within_hours": 24, "direction": "before"},
            {"field": "properties.tier", "op": "in", "value": [1, "gold", "2"]},
        ]
    }
    page = operator_client_web.get(saved["Location"]).content.decode()
    assert 'name="cond-0-subject" value="lead.first_contact_at"' in page
    assert 'value="1, gold, &quot;2&quot;"' in page
    assert "&quot;within_hours&quot;: 24" in page  # the JSON export


def test_a_bad_row_is_a_400_with_the_error_on_its_field(operator_client_web, rules_tenant):
    rows = _rows(
        {"subject": "lead.first_contact_at", "op": "not_exists"},
        {"subject": "lead.shoe_size", "op": "gt", "value": ""},
        {"subject": "signup", "op": "happened", "value": "two"},
    )

    form = {**BUILT, **rows, "template": _template(rules_tenant)}
    page = operator_client_web.post(_url(rules_tenant, "create"), form)

    assert page.status_code == 400
    text = page.content.decode()
    row1 = text[text.index('name="cond-1-subject"') : text.index('name="cond-2-subject"')]
    assert "Используйте properties.&lt;имя&gt;" in row1  # the field's own error
    assert "Нужно значение." in row1
    assert "Целое число часов." in text
    with tenant_scope(rules_tenant):
        assert not Rule.objects.exists()
