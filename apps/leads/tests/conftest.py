"""Fixtures of the leads tests: URLs, the seed-002 sample, keys, leads made fast."""

import json
from pathlib import Path

import pytest
from django.urls import reverse

from apps.leads.ingestion import ingest_leads
from apps.tenants import keys
from apps.tenants.models import Membership
from apps.tenants.roles import Role

# The JSON sample of seed 002, verbatim (the demo data loads the same file): inside the
# repository, so the tests pass from a clone in any folder.
SEED_SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "seed_002_sample.json"


def seed_sample() -> list[dict]:
    return json.loads(SEED_SAMPLE.read_text(encoding="utf-8"))


def url(name: str, tenant, **kwargs) -> str:
    return reverse(name, kwargs={"tenant_id": str(tenant.pk), **kwargs})


def make_leads(tenant, items, source="api", **kwargs):
    outcome = ingest_leads(tenant=tenant, items=items, source=source, **kwargs)
    assert outcome.summary["rejected"] == 0, outcome.results
    return [r.lead_id for r in outcome.results]


def action(kind="Page View", at="2024-04-01T10:00:00Z", level="Low", **extra):
    return {"action_type": kind, "timestamp": at, "engagement_level": level, **extra}


TOOLS = ("export", "api_access")


@pytest.fixture(autouse=True)
def _tools_granted(request):
    """The tenants of these tests have the export and API access tools (a staff grant); a
    test about a locked tool revokes it with `lock_tool`."""
    from apps.features.services import tenant_feature_set

    for name in ("tenant", "other_tenant"):
        if name in request.fixturenames:
            for tool in TOOLS:
                tenant_feature_set(
                    tenant=request.getfixturevalue(name), feature=tool, mode="grant", reason="tests"
                )


def lock_tool(tenant, tool: str) -> None:
    from apps.features.services import tenant_feature_set

    tenant_feature_set(tenant=tenant, feature=tool, mode="revoke", reason="tests")


@pytest.fixture
def sample():
    return seed_sample()


@pytest.fixture
def api_key(tenant, admin_user):
    """(row, full key) of an operator key of `tenant`."""
    return keys.api_key_create(tenant=tenant, actor=admin_user, name="CRM")


@pytest.fixture
def other_api_key(other_tenant, outsider):
    return keys.api_key_create(tenant=other_tenant, actor=outsider, name="Other CRM")


@pytest.fixture
def publishable_key(tenant):
    return keys.publishable_key_get_or_create(tenant).key


@pytest.fixture
def second_operator(tenant):
    from tests.factories import MembershipFactory

    return MembershipFactory(tenant=tenant, role=Role.OPERATOR).user


@pytest.fixture
def member_ids(tenant):
    return set(Membership.objects.for_tenant(tenant).values_list("user_id", flat=True))


WIDGET_ORIGIN = "https://shop.example"


@pytest.fixture
def site(tenant):
    """The tenant with its site allowed to use the widget (and no cached widget state)."""
    from django.core.cache import cache

    tenant.allowed_origins = [WIDGET_ORIGIN]
    tenant.save()
    cache.clear()
    return tenant
