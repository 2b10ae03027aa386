"""A switch made in one process is seen by another process on its next read (PostgreSQL:
the second process must see committed rows; the cache is the project's shared one)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from apps.billing.tests.helpers import subscribe
from apps.features import services
from tests.factories import TenantFactory

ROOT = Path(settings.BASE_DIR)


@pytest.fixture
def probe(shared_cache):
    db = connection.settings_dict
    env = {
        **os.environ,
        **shared_cache,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "LOG_LEVEL": "ERROR",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "apps.features.tests.entitlements_probe"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert json.loads(process.stdout.readline()) == {"ready": True}

    def ask(tenant) -> list[str]:
        process.stdin.write(f"{tenant.pk}\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    yield ask
    process.stdin.close()
    process.wait(timeout=60)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_switch_in_this_process_is_seen_by_another_process_on_its_next_read(probe):
    tenant = TenantFactory()
    subscribe(tenant, "start")
    assert "export" not in probe(tenant)  # the other process caches the snapshot

    services.tenant_feature_set(tenant=tenant, feature="export", mode="grant", reason="deal")
    assert "export" in probe(tenant)

    subscribe(tenant, "business")
    services.tenant_feature_set(tenant=tenant, feature="webhooks", mode="revoke", reason="abuse")
    seen = probe(tenant)
    assert "api_access" in seen and "webhooks" not in seen
