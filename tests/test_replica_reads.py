"""Reads that may lag go to the replica (issue #23): with `DATABASE_REPLICA_URL` set, a
background lead export and the pay-per-lead CSV read the replica, while the export's own
status row is written on the primary. A second PostgreSQL database, restored from the test
database with pg_dump, stands in for the replica; it is given a lead the primary does not
have, so the file shows which database it was read from."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections

from apps.core.replica import REPLICA, replica_alias
from apps.features.services import tenant_feature_set
from apps.leads.models import Lead, LeadExport
from apps.leads.tests.conftest import make_leads, url
from apps.tenants.scoping import tenant_scope

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, databases="__all__")]


def _server(settings_dict) -> dict:
    return {
        "host": settings_dict["HOST"] or "127.0.0.1",
        "port": settings_dict["PORT"] or 5432,
        "user": settings_dict["USER"] or "postgres",
        "password": settings_dict["PASSWORD"] or None,
    }


@pytest.fixture(scope="module")
def replica(django_db_setup) -> Iterator[str]:
    """The alias `replica` on a copy of the test database. Module-scoped so that it exists
    before a test's database access is set up (`databases="__all__"` then admits it)."""
    if connection.vendor != "postgresql":
        pytest.skip("a replica is a second PostgreSQL database")
    if not shutil.which("pg_dump") or not shutil.which("psql"):
        pytest.skip("pg_dump and psql are needed to copy the database")
    primary = connection.settings_dict
    name = f"{primary['NAME']}_replica"
    server = _server(primary)
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    target = ["-h", server["host"], "-p", str(server["port"]), "-U", server["user"]]
    dump = subprocess.run(
        ["pg_dump", *target, "--no-owner", primary["NAME"]], capture_output=True, check=True
    )
    subprocess.run(["psql", *target, "-q", "-d", name], input=dump.stdout, check=True)
    replica_settings = {**primary, "NAME": name, "TEST": {**primary["TEST"], "MIRROR": None}}
    settings.DATABASES[REPLICA] = replica_settings
    connections.settings[REPLICA] = replica_settings
    try:
        yield name
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        connections.settings.pop(REPLICA, None)
        settings.DATABASES.pop(REPLICA, None)  # often the same dict
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_background_export_reads_the_replica_and_writes_its_status_on_the_primary(
    replica, tenant, analyst_api
):
    assert replica_alias() == REPLICA
    tenant_feature_set(tenant=tenant, feature="export", mode="grant", reason="tests")
    tenant_feature_set(tenant=tenant, feature="api_access", mode="grant", reason="tests")
    make_leads(tenant, [{"email": "primary@example.com", "name": "On the primary"}])
    # the replica has the tenant and a lead the primary never had
    tenant.save(using=REPLICA, force_insert=True)
    with tenant_scope(tenant):
        Lead.objects.using(REPLICA).create(
            tenant=tenant,
            email="replica@example.com",
            name="Only on the replica",
            identity_key="test:replica",
        )

    response = analyst_api.post(url("api-lead-exports", tenant), {"format": "csv"}, format="json")
    assert response.status_code == 202, response.content
    export_id = response.json()["id"]
    with tenant_scope(tenant):
        export = LeadExport.objects.get(pk=export_id)  # the primary
        assert not LeadExport.objects.using(REPLICA).filter(pk=export_id).exists()
    assert export.status == "done" and export.rows_total == 1

    download = analyst_api.get(url("api-lead-export-download", tenant, export_id=export_id))
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "replica@example.com" in body and "primary@example.com" not in body
