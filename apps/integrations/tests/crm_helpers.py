"""Fixtures of the CRM sync tests: the fakes wired into settings, connected companies."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.integrations.crm import services
from apps.integrations.crm.models import CrmSyncJob, JobStatus
from apps.integrations.crm.providers import base
from apps.integrations.crm.tasks import dispatch_crm_jobs_task
from apps.integrations.tests.fake_crm import FakeAmoCrm, FakeBitrix24
from apps.tenants.scoping import tenant_scope


@pytest.fixture
def crm_settings(settings, monkeypatch):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # the fakes listen on 127.0.0.1
    # No in-call retries: each failure is one job attempt, retried by the job's schedule.
    monkeypatch.setattr(base, "RETRY", base.RetryPolicy(max_attempts=1))
    return settings


@pytest.fixture
def amo(crm_settings):
    with FakeAmoCrm() as fake:
        crm_settings.AMOCRM_ACCOUNT_URL = fake.account_url_template
        yield fake


@pytest.fixture
def bitrix(crm_settings):
    with FakeBitrix24() as fake:
        yield fake


def amo_connect(tenant, fake):
    with tenant_scope(tenant):
        url = services.amocrm_connect_start(
            tenant=tenant,
            actor=None,
            subdomain=fake.subdomain,
            client_id=fake.client_id,
            client_secret=fake.client_secret,
        )
    state = url.split("state=")[1].split("&")[0]
    return services.amocrm_connect_finish(
        state=state, code=fake.authorize(), referer=f"{fake.subdomain}.amocrm.ru"
    )


@pytest.fixture
def amo_tenant(on_business, amo):
    amo_connect(on_business, amo)
    return on_business


@pytest.fixture
def bitrix_tenant(on_business, bitrix):
    with tenant_scope(on_business):
        services.bitrix24_connect(
            tenant=on_business,
            actor=None,
            webhook_url=bitrix.webhook_url,
            application_token=bitrix.app_token,
        )
    return on_business


def jobs(tenant) -> list[CrmSyncJob]:
    with tenant_scope(tenant):
        return list(CrmSyncJob.objects.for_tenant(tenant).order_by("pk"))


def run_due(tenant) -> None:
    """The dispatch beat, with every waiting retry's time come."""
    with tenant_scope(tenant):
        CrmSyncJob.objects.for_tenant(tenant).filter(status=JobStatus.PENDING).update(
            next_attempt_at=timezone.now()
        )
    dispatch_crm_jobs_task.delay()
