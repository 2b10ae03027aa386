"""The move of the enrichment models from apps.leads loses nothing: a database filled at the old
layout (leads 0008) is migrated forward and read through the new models, content types and
their permissions included."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from apps.enrichment.models import EnrichmentRun, LeadEnrichment
from apps.leads.tests.conftest import make_leads
from apps.tenants.scoping import tenant_scope
from tests import migrating

OLD = [("leads", "0008_enrichment")]


def _migrate(targets):
    executor = migrating.executor()  # a fresh one: it reads what is applied now
    executor.migrate(targets)
    return executor


def _latest():
    return migrating.latest()


def _fill_old_layout(apps, tenant, lead_ids) -> str:
    """A finished run with an enriched and a failed lead, written through the leads app's
    historical models."""
    Run = apps.get_model("leads", "EnrichmentRun")
    Item = apps.get_model("leads", "LeadEnrichment")
    run = Run.objects.create(
        tenant_id=tenant.pk,
        scope={"lead_ids": lead_ids},
        status="done",
        leads_selected=2,
        leads_billable=2,
        leads_enriched=1,
        leads_failed=1,
        price_amount=3000,
        price_currency="RUB",
        billing_reference="credit:7",
        token_cost=Decimal("0.012300"),
    )
    Item.objects.create(
        tenant_id=tenant.pk,
        run=run,
        lead_id=lead_ids[0],
        status="enriched",
        input_hash="a" * 64,
        fields={"company": "ООО Ромашка", "industry": None},
        applied_fields=["company"],
        cost=Decimal("0.012300"),
        attempts=1,
    )
    Item.objects.create(
        tenant_id=tenant.pk,
        run=run,
        lead_id=lead_ids[1],
        status="failed",
        failure_reason="AI provider: overloaded",
        input_hash="b" * 64,
        attempts=2,
    )
    return str(run.pk)


@pytest.mark.django_db(transaction=True)
def test_runs_written_at_the_old_layout_are_read_by_the_enrichment_app(tenant):
    # given: two leads, and the database taken back to the layout before the move
    lead_ids = make_leads(tenant, [{"email": "anna@romashka.ru"}, {"email": "boris@gmail.com"}])
    executor = _migrate(OLD)
    try:
        old_apps = executor.loader.project_state(OLD).apps
        run_id = _fill_old_layout(old_apps, tenant, lead_ids)
        old_type = ContentType.objects.get(app_label="leads", model="enrichmentrun")
        # when: migrated forward to the new layout
        _migrate(_latest())
    finally:
        _migrate(_latest())  # whatever happened, later tests get the current schema
    # then: the same rows, through the new models
    with tenant_scope(tenant):
        run = EnrichmentRun.objects.get(pk=run_id)
        items = list(LeadEnrichment.objects.filter(run=run).order_by("lead_id"))
    assert (run.status, run.leads_enriched, run.leads_failed) == ("done", 1, 1)
    assert (run.price_amount, run.price_currency) == (3000, "RUB")
    assert run.billing_reference == "credit:7"
    assert run.token_cost == Decimal("0.012300") and run.scope == {"lead_ids": lead_ids}
    assert [(i.lead_id, i.status, i.attempts) for i in items] == [
        (lead_ids[0], "enriched", 1),
        (lead_ids[1], "failed", 2),
    ]
    assert items[0].fields == {"company": "ООО Ромашка", "industry": None}
    assert items[1].failure_reason == "AI provider: overloaded"
    # the content type moved with its id (permissions and admin history stay attached)
    new_type = ContentType.objects.get_for_model(EnrichmentRun)
    assert (new_type.pk, new_type.app_label) == (old_type.pk, "enrichment")
    assert not ContentType.objects.filter(app_label="leads", model="enrichmentrun").exists()
    assert Permission.objects.filter(content_type=new_type, codename="view_enrichmentrun").exists()


def test_the_moved_models_keep_their_tables():
    assert EnrichmentRun._meta.db_table == "leads_enrichmentrun"
    assert LeadEnrichment._meta.db_table == "leads_leadenrichment"
    assert {c.name for c in LeadEnrichment._meta.constraints} == {"leadenrichment_run_lead"}
    assert {i.name for i in LeadEnrichment._meta.indexes} == {
        "leadenrichment_run_status",
        "leadenrichment_input",
    }
    assert {i.name for i in EnrichmentRun._meta.indexes} == {"enrichmentrun_tenant"}
