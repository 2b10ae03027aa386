"""The WSGI module gunicorn preloads in its master (gunicorn.conf.py `preload_app`)."""

import pytest
from django.db import connection
from django.urls import get_resolver

from apps.tenants.models import Tenant
from fastlead import wsgi


@pytest.mark.django_db(transaction=True)
def test_warming_up_leaves_no_database_connection_for_the_forked_workers_to_share():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("Django never closes an in-memory SQLite database; CI runs PostgreSQL")
    Tenant.objects.exists()  # something opened a connection in the master
    assert connection.connection is not None
    wsgi.warm_up()
    assert connection.connection is None


def test_warming_up_loads_the_urlconfs_a_first_request_would():
    wsgi.warm_up()
    assert "url_patterns" in get_resolver().__dict__  # the cached property is filled
